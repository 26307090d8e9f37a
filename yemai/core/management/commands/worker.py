"""``yemai worker [--once] [--concurrency N]``: run background tasks in their own process.

On PostgreSQL start one or more of these beside the web processes; each claims due tasks with
a conditional UPDATE, so any number of workers may run at once. ``yemai serve`` runs one
runner thread of its own (embedded tier), so a single-machine SQLite install needs no worker.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from yemai.core.tasks import Runner, runner_threads_start


class Command(BaseCommand):
    help = (
        "Run background tasks (notifications, reminders, escalations) until stopped "
        "(Ctrl+C or SIGTERM finish the task in hand first). With --once, run what is due and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every task due now, then exit")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            metavar="N",
            help="tasks run at the same time, one thread each (default 1)",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="how often an idle worker looks for due tasks (default 1)",
        )

    def handle(self, *args, once, concurrency, poll, **options):
        if concurrency < 1 or concurrency > 64:
            raise CommandError("--concurrency must be between 1 and 64")
        if poll <= 0:
            raise CommandError("--poll must be more than 0 seconds")
        if once:
            ran = Runner(poll_s=poll).run_due()
            self.stdout.write(f"{ran} task(s) run")
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            self.stdout.write("Stopping after the tasks in hand …")
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        threads = runner_threads_start(stop, concurrency=concurrency, poll_s=poll)
        self.stdout.write(
            self.style.SUCCESS(f"Worker running {concurrency} thread(s); Ctrl+C to stop.")
        )
        self.stdout.flush()
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.5)
