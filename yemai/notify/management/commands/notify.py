"""``yemai notify test|flush|vapid-keys``: try a channel, resend what waits, make web push keys."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from yemai.core.masking import mask_phone
from yemai.core.models import Task
from yemai.core.tasks import Runner

from ...channels.webpush import vapid_keys_generate
from ...choices import NoticeState
from ...models import Channel, Notice
from ...services import notice_flush, notice_send


class Command(BaseCommand):
    help = (
        "Notification channels: `test --channel ID` sends a test message now and says what "
        "happened; `flush` schedules delivery of every waiting notice; `vapid-keys` prints a "
        "new key pair for web push."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        test = sub.add_parser("test", help="send a test message through one channel now")
        test.add_argument("--channel", type=int, required=True, help="channel id (see the admin)")
        test.add_argument("--phone", default="", help="SMS channels: the phone to text")
        test.add_argument("--user", default="", help="web push: the username to push to")
        flush = sub.add_parser("flush", help="schedule delivery of every waiting notice")
        flush.add_argument(
            "--include-dead",
            action="store_true",
            help="also send again the notices given up (after a long outage)",
        )
        sub.add_parser("vapid-keys", help="print a new VAPID key pair for web push")

    def handle(self, *args, action, **options):
        if action == "vapid-keys":
            private, public = vapid_keys_generate()
            self.stdout.write(f"YEMAI_NOTIFY_VAPID_PRIVATE_KEY={private}")
            self.stdout.write(f"# public key for the PWA (applicationServerKey): {public}")
        elif action == "flush":
            count = notice_flush(include_dead=options["include_dead"])
            self.stdout.write(f"{count} channel(s) scheduled")
        else:
            self._test(options["channel"], options["phone"], options["user"])

    def _test(self, channel_id: int, phone: str, username: str) -> None:
        channel = Channel.objects.filter(pk=channel_id).first()
        if channel is None:
            raise CommandError(f"no channel with id {channel_id}")
        recipient = {"channel": channel}
        if phone:
            recipient["phone"] = phone
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user {username!r}")
            recipient["user"] = user
        try:
            notice = notice_send(
                template="notify.test", params={"channel": channel.name}, **recipient
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        task = Task.objects.filter(
            Q(dedupe_key=f"notify.deliver:{channel.pk}"), state=Task.State.PENDING
        ).first()
        runner = Runner(worker_id="notify-test")
        claimed = runner.claim(task.pk) if task else None
        if claimed is not None:
            runner.execute(claimed)
        notice = Notice.objects.get(pk=notice.pk)
        shown = mask_phone(notice.phone) if notice.phone else str(notice.user or channel)
        if notice.state == NoticeState.SENT:
            self.stdout.write(self.style.SUCCESS(f"sent to {shown} (notice #{notice.pk})"))
            return
        if notice.state == NoticeState.PENDING:
            reason = "waiting for the channel (disabled, busy or over its rate)"
        else:
            reason = notice.last_error or notice.get_state_display()
        raise CommandError(f"not sent to {shown} (notice #{notice.pk}): {reason}")
