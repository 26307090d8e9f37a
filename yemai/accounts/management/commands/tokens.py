"""``yemai tokens create --user NAME --name TEXT | list [--user NAME] | revoke ID``."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yemai.accounts.models import ApiToken, User
from yemai.accounts.tokens import token_create, token_revoke


class Command(BaseCommand):
    help = (
        "API tokens for staff apps and machine clients (camera workers, Open311 apps). "
        "A token acts as its user, with that user's role and scope; only its SHA-256 is kept."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="make a token and print it once")
        create.add_argument("--user", required=True, help="username the token acts as")
        create.add_argument("--name", required=True, help='what uses it, e.g. "camera worker"')
        listing = sub.add_parser("list", help="list tokens (never the tokens themselves)")
        listing.add_argument("--user", help="only this user's tokens")
        revoke = sub.add_parser("revoke", help="revoke a token at once")
        revoke.add_argument("id", type=int, help="the token's id (see list)")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, user, name, **options):
        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no user named {user!r}")
        try:
            token, raw = token_create(user=account, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(raw)
        self.stderr.write(
            f"token {token.pk} for {account.username} ({account.role or 'no role'}, "
            f"scope {account.scope.code if account.scope_id else 'none'}): store it now, "
            "it is not shown again. Send it as: Authorization: Bearer <token>"
        )

    def _list(self, *, user=None, **options):
        tokens = ApiToken.objects.select_related("user").order_by("id")
        if user:
            tokens = tokens.filter(user__username=user)
        for t in tokens:
            state = f"revoked {t.revoked:%Y-%m-%d %H:%M}" if t.revoked else "active"
            used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never"
            self.stdout.write(
                f"{t.pk}\t{t.user.username}\t{t.name}\t{t.prefix}…\t{state}\tlast used {used}"
            )

    def _revoke(self, *, id, **options):  # noqa: A002 — the argument's name on the command line
        token = ApiToken.objects.filter(pk=id).first()
        if token is None:
            raise CommandError(f"no token {id}")
        token_revoke(token=token)
        self.stdout.write(f"token {id} revoked")
