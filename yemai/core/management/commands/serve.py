"""``yemai serve [--host 127.0.0.1] [--port 8000] [--demo]``: the embedded tier in one process.

Applies migrations, loads the demo town into an empty database with ``--demo``, then serves
pages, API, admin and static files (whitenoise) with waitress, a pure-Python WSGI server, and
runs background tasks in a thread (``--no-tasks`` when ``yemai worker`` processes do).
"""

import argparse
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from yemai.core.tasks import runner_threads_start

THREADS = 8


class Command(BaseCommand):
    help = (
        "Apply migrations and serve Yemai (pages, API, admin, static files) on one port. "
        "With --demo, load the demo town first if the database has no grid."
    )
    requires_system_checks = []  # checked once below, after migrating

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="load the demo town if the database has no grid (logins with YEMAI_DEMO=1)",
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help="run no background tasks here (when `yemai worker` processes run them)",
        )
        # Tests and quick looks: a smaller demo town (see `yemai demo --scale`).
        parser.add_argument("--demo-scale", type=float, default=1.0, help=argparse.SUPPRESS)
        parser.add_argument("--demo-seed", type=int, default=1, help=argparse.SUPPRESS)

    def handle(self, *args, host, port, demo, no_tasks, demo_scale, demo_seed, **options):
        from waitress import create_server

        from yemai.wsgi import application

        self.check(display_num_errors=False)
        self.stdout.write("Applying migrations …")
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            self._demo(demo_scale, demo_seed)
        # whitenoise warns about a missing STATIC_ROOT even when it serves from the finders.
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        try:
            server = create_server(
                application, host=host, port=port, threads=THREADS, ident="Yemai"
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        # Embedded tier: background tasks (notices, reminders) run in a thread of this process.
        stop_tasks = threading.Event()
        if not no_tasks:
            runner_threads_start(stop_tasks, prefix=f"serve:{port}")
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(self.style.SUCCESS(f"Yemai is running at http://{shown}:{port}/"))
        self.stdout.write("Press Ctrl+C to stop.")
        self.stdout.flush()
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            stop_tasks.set()
            server.close()

    def _demo(self, scale: float, seed: int) -> None:
        from yemai.core.demo.build import DemoRefused, demo_load
        from yemai.core.demo.loader import has_grids
        from yemai.core.demo.logins import logins_existing, logins_table

        from .demo import print_result

        if not has_grids():
            self.stdout.write("Loading the demo town (first start only) …")
            try:
                result = demo_load(seed=seed, scale=scale, progress=True)
            except DemoRefused as exc:
                raise CommandError(str(exc)) from None
            print_result(self.stdout, result)
        elif settings.DEMO:
            logins = logins_existing()
            if logins:
                self.stdout.write(logins_table(logins))
