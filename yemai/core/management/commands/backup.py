"""``yemai backup FILE``: an encrypted backup of the whole database (see core.security.backup)."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from yemai.core.security.backup import BackupError, backup_models, backup_write


class Command(BaseCommand):
    help = (
        "Write every row of the database to FILE, compressed and encrypted (AES-256-GCM) with "
        "YEMAI_BACKUP_KEY (or a key derived from YEMAI_ENCRYPTION_KEYS). Restore with "
        "`yemai restore FILE` into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the backup (- for standard output)")

    def handle(self, *args, file, verbosity=1, **options):
        total = sum(m._base_manager.count() for m in backup_models())
        tmp = f"{file}.partial"
        bar = tqdm(
            total=total, desc="backing up", unit=" rows", file=sys.stderr, disable=verbosity < 1
        )
        try:
            with open(tmp, "wb") as fh:
                counts = backup_write(fh, progress=lambda label, n: bar.update(n))
            os.replace(tmp, file)
        except (BackupError, OSError) as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(
            f"backup written to {file}: {sum(counts.values()):,} rows of "
            f"{sum(1 for v in counts.values() if v)} tables, {os.path.getsize(file):,} bytes"
        )
