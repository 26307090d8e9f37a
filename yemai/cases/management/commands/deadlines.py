"""``yemai deadlines``: the deadline watch (reminders and overdue escalation) from the shell."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from yemai.cases.deadlines import deadline_schedule, deadline_tick


class Command(BaseCommand):
    help = (
        "Remind and escalate overdue cases: every minute until stopped, once with --once, "
        "or start the periodic background task with --schedule (run by `yemai worker`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one round and exit")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue the periodic background task (it re-enqueues itself every minute)",
        )
        parser.add_argument(
            "--now", help="pretend it is this time (ISO 8601 with offset), for trials"
        )
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between rounds (default 60)"
        )

    def handle(self, *args, once=False, schedule=False, now=None, interval=60.0, **options):
        at = None
        if now:
            at = parse_datetime(now)
            if at is None or at.tzinfo is None:
                raise CommandError("--now must be an ISO 8601 time with an offset")
        if schedule:
            row = deadline_schedule(now=at)
            self.stdout.write(f"deadline task scheduled for {row.run_at.isoformat()}")
            return
        if interval <= 0:
            raise CommandError("--interval must be positive")
        while True:
            result = deadline_tick(now=at)
            self.stdout.write(str(result))
            if once:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
