"""``yemai keys generate | rotate [--batch 500] | status | rotate-lookup [--batch 500] |
lookup-status``."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from yemai.core import crypto
from yemai.core.keys import key_status, keys_generate_lines, keys_rotate
from yemai.core.security.lookups import lookup_rotate, lookup_status


class Command(BaseCommand):
    help = (
        "Encryption keys of personal data: generate new ones, rotate every encrypted value "
        "onto the first key of YEMAI_ENCRYPTION_KEYS, or count values per key id."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser(
            "generate",
            help="print YEMAI_ENCRYPTION_KEYS=kid:key and YEMAI_LOOKUP_KEY=… lines",
        )
        rotate = sub.add_parser(
            "rotate", help="re-encrypt every value that is not under the current (first) key"
        )
        rotate.add_argument(
            "--batch", type=int, default=500, help="rows per transaction (default 500)"
        )
        sub.add_parser("status", help="count values per key id for every encrypted column")
        rotate_lookup = sub.add_parser(
            "rotate-lookup",
            help="recompute every search hash under the first key of YEMAI_LOOKUP_KEYS",
        )
        rotate_lookup.add_argument(
            "--batch", type=int, default=500, help="rows per transaction (default 500)"
        )
        sub.add_parser(
            "lookup-status",
            help="count search hashes under the first lookup key, an older one, or none",
        )

    def handle(self, *args, action, **options):
        getattr(self, f"_{action.replace('-', '_')}")(**options)

    def _generate(self, **options):
        self.stdout.write(keys_generate_lines())
        self.stderr.write(
            "To rotate: put the new kid:key FIRST in YEMAI_ENCRYPTION_KEYS, keep the old keys "
            "after it, restart, then run `yemai keys rotate`."
        )

    def _with_bar(self, rotate, *, batch, verbosity, desc, unit):
        """Run ``rotate(batch=, progress=)`` with a progress bar on stderr."""
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        bar = tqdm(desc=desc, unit=unit, disable=verbosity < 1, file=sys.stderr)

        def progress(done, total):
            if total is not None:
                bar.reset(total=total)
            bar.update(done)

        try:
            return rotate(batch=batch, progress=progress)
        except crypto.DecryptionError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()

    def _rotate(self, batch, verbosity=1, **options):
        result = self._with_bar(
            keys_rotate, batch=batch, verbosity=verbosity, desc="re-encrypting", unit=" values"
        )
        for label, count in sorted(result.rotated.items()):
            self.stdout.write(f"  {label}: {count:,}")
        self.stdout.write(
            f"{result.total:,} values re-encrypted under key {result.kid} "
            f"in {result.passes} pass(es)."
        )
        if result.total_failed:
            for label, ids in sorted(result.failed.items()):
                shown = ", ".join(str(i) for i in sorted(ids)[:10])
                self.stderr.write(f"  {label}: {len(ids)} cannot be decrypted (ids {shown} …)")
            raise CommandError(
                f"{result.total_failed} values could not be decrypted with any listed key: "
                "is a key missing from YEMAI_ENCRYPTION_KEYS?"
            )

    def _status(self, **options):
        current = crypto.current_kid()
        self.stdout.write(f"current key: {current}")
        stale = 0
        for label, counts in key_status().items():
            parts = []
            for kid, n in sorted(counts.items()):
                mark = "" if kid in {current, "(empty)"} else " *"
                stale += n if mark else 0
                parts.append(f"{kid}={n:,}{mark}")
            self.stdout.write(f"  {label}: {', '.join(parts) or 'no rows'}")
        if stale:
            self.stdout.write(
                f"{stale:,} values (*) are not under {current}: run `yemai keys rotate`."
            )
        else:
            self.stdout.write(f"every value is under {current}.")

    def _rotate_lookup(self, batch, verbosity=1, **options):
        result = self._with_bar(
            lookup_rotate, batch=batch, verbosity=verbosity, desc="re-hashing", unit=" rows"
        )
        for label in sorted(set(result.rotated) | set(result.current)):
            self.stdout.write(
                f"  {label}: {result.rotated[label]:,} re-hashed, "
                f"{result.current[label]:,} already current"
            )
        self.stdout.write(f"{result.total:,} search hashes moved onto the first lookup key.")
        if sum(result.changed.values()):
            self.stdout.write(
                f"{sum(result.changed.values()):,} rows changed while running (they were "
                "written under the first key): run `yemai keys lookup-status` to confirm."
            )
        else:
            self.stdout.write(
                "Every search hash is under the first key: drop the old keys from "
                "YEMAI_LOOKUP_KEYS and restart."
            )

    def _lookup_status(self, **options):
        keys = len(crypto.lookup_keys())
        self.stdout.write(f"lookup keys listed: {keys}")
        behind = 0
        for label, counts in lookup_status().items():
            behind += counts["old"] + counts["unknown"]
            parts = [f"{name}={n:,}" for name, n in sorted(counts.items())]
            self.stdout.write(f"  {label}: {', '.join(parts) or 'no rows'}")
        if behind:
            self.stdout.write(
                f"{behind:,} hashes are not under the first key: run `yemai keys rotate-lookup`."
            )
        else:
            self.stdout.write("every search hash is under the first key.")
