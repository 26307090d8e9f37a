"""``yemai audit verify | purge | export FILE``."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from yemai.core.audit import audit_purge, audit_verify
from yemai.core.models import AuditEvent


class Command(BaseCommand):
    help = (
        "The audit log: verify its hash chain (names every changed, removed or inserted "
        "record), purge records past the retention (at least 184 days), export to xlsx."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("verify", help="check every record against the hash chain (exit 1 if not)")
        sub.add_parser(
            "purge", help="delete records older than YEMAI_AUDIT_RETENTION_DAYS (>= 184)"
        )
        export = sub.add_parser("export", help="write the log to an xlsx file")
        export.add_argument("file")
        export.add_argument("--user", required=True, help="the audit administrator exporting")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _verify(self, verbosity=1, **options):
        total = AuditEvent.objects.count()
        with tqdm(
            total=total,
            desc="verifying",
            unit=" records",
            file=sys.stderr,
            disable=verbosity < 1,
        ) as bar:
            result = audit_verify(progress=bar.update)
        if result.ok:
            self.stdout.write(f"audit log intact: {result.checked:,} records verified")
            return
        for problem in result.problems:
            self.stderr.write(problem)
        raise CommandError(
            f"audit log TAMPERED: {len(result.problems)} problem(s) in {result.checked:,} records"
        )

    def _purge(self, **options):
        count = audit_purge()
        self.stdout.write(f"purged {count:,} records past the retention; the chain still verifies")

    def _export(self, file, user, **options):
        from yemai.accounts.models import User
        from yemai.core.audit_export import audit_export_xlsx

        try:
            account = User.objects.get(username=user)
        except User.DoesNotExist:
            raise CommandError(f"no user {user!r}") from None
        if not account.can_read_audit:
            raise CommandError(f"{user} is not an audit administrator: only they export the log")
        content, count = audit_export_xlsx(AuditEvent.objects.order_by("pk"), user=account)
        with open(file, "wb") as fh:
            fh.write(content)
        self.stdout.write(f"wrote {count:,} records to {file}")
