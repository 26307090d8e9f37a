"""``yemai sensitive purge | erase --user NAME``: retention and erasure of whereabouts and
biometrics (patrol tracks, check-in selfies)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from yemai.core.commands import command_error, user_named
from yemai.duty.retention import sensitive_purge
from yemai.duty.services import sensitive_erase


class Command(BaseCommand):
    help = (
        "Patrol tracks and check-in selfies: purge what is past its retention "
        "(YEMAI_SENSITIVE_RETENTION_DAYS, YEMAI_BIOMETRIC_RETENTION_DAYS), or erase one "
        "person's on their request (PIPL Art. 47). Both are audited with the counts."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("purge", help="delete tracks and check-ins (selfies) past the retention")
        erase = sub.add_parser("erase", help="delete every track and check-in of one person")
        erase.add_argument("--user", required=True, help="the account whose data goes")
        erase.add_argument(
            "--by",
            default="",
            help="the security administrator handling the request (limits it to their scope)",
        )

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _purge(self, **options):
        counts = sensitive_purge(via="command")
        self.stdout.write(
            "purged {patrols:,} patrols ({points:,} points), {checkins:,} check-ins and "
            "{photos:,} selfies past the retention".format(**counts)
        )

    def _erase(self, user, by="", **options):
        actor = user_named(by) if by else None
        try:
            counts = sensitive_erase(actor=actor, username=user, via="command")
        except (ValidationError, PermissionDenied) as exc:
            raise command_error(exc) from None
        except Http404:
            raise CommandError(f"no account named {user} in the scope of {by}") from None
        self.stdout.write(
            f"erased {user}: {counts.patrols:,} patrols ({counts.points:,} points), "
            f"{counts.checkins:,} check-ins, {counts.photos:,} selfies"
        )
