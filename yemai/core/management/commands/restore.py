"""``yemai restore FILE``: load an encrypted backup into an empty database."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from yemai.core.security.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Load a backup made by `yemai backup` into an empty, migrated database (all or "
        "nothing). Needs the key the backup was made with."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, verbosity=1, **options):
        try:
            size = os.path.getsize(file)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        bar = tqdm(
            total=size,
            desc="restoring",
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            disable=verbosity < 1,
        )
        try:
            with open(file, "rb") as fh:
                counts = backup_restore(fh, progress=bar.update)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(f"restored {sum(counts.values()):,} rows of {len(counts)} tables")
