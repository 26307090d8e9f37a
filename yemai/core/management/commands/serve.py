"""``yemai serve [--host 127.0.0.1] [--port 8000] [--workers N] [--demo]``: the embedded tier.

Applies migrations, loads the demo town into an empty database with ``--demo``, then serves
pages, API, admin and static files (whitenoise) with waitress, a pure-Python WSGI server, and
runs background tasks in a thread (``--no-tasks`` when ``yemai worker`` processes do).

One process per core by default (up to 4; one where processes cannot be forked). ``--workers N``
(or ``YEMAI_WEB_WORKERS``; above 1 POSIX only) forks N server processes that share the listening
socket, so a machine's cores all answer requests: Python runs one thread at a time per process. The first process runs the background tasks; a process that
dies is started again; SIGTERM or Ctrl+C stops them all.
"""

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from yemai.core.tasks import runner_threads_start


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
            "--workers",
            type=int,
            default=settings.WEB_WORKERS,
            help="server processes sharing the port (YEMAI_WEB_WORKERS; default: one per core, "
            "at most 4; above 1 POSIX only)",
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help="run no background tasks here (when `yemai worker` processes run them)",
        )
        # Tests and quick looks: a smaller demo town (see `yemai demo --scale`).
        parser.add_argument("--demo-scale", type=float, default=1.0, help=argparse.SUPPRESS)
        parser.add_argument("--demo-seed", type=int, default=1, help=argparse.SUPPRESS)

    def handle(self, *args, host, port, workers, demo, no_tasks, demo_scale, demo_seed, **options):
        from waitress import create_server

        from yemai.wsgi import application

        if not 1 <= workers <= 64:
            raise CommandError("--workers must be between 1 and 64")
        if workers > 1 and not hasattr(os, "fork"):
            raise CommandError("--workers above 1 needs a POSIX system (fork); use 1 here")
        if settings.WEB_SWITCH_INTERVAL > 0:
            sys.setswitchinterval(settings.WEB_SWITCH_INTERVAL)
        self.check(display_num_errors=False)
        self.stdout.write("Applying migrations …")
        call_command("migrate", interactive=False, verbosity=0)
        if demo:
            self._demo(demo_scale, demo_seed)
        # whitenoise warns about a missing STATIC_ROOT even when it serves from the finders.
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        shown = f"[{host}]" if ":" in host else host
        try:
            if workers > 1:
                listener = _listen(host, port)
            else:
                server = create_server(
                    application, host=host, port=port, threads=settings.WEB_THREADS, ident="Yemai"
                )
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        if workers > 1:
            self._serve_forked(listener, workers, no_tasks, port, f"http://{shown}:{port}/")
            return
        # Embedded tier: background tasks (notices, reminders) run in a thread of this process.
        stop_tasks = threading.Event()
        if not no_tasks:
            runner_threads_start(stop_tasks, prefix=f"serve:{port}")
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

    def _serve_forked(self, listener, workers: int, no_tasks: bool, port: int, url: str) -> None:
        """Fork ``workers`` processes, each a waitress server on ``listener``; supervise them
        until SIGTERM or Ctrl+C."""
        from django.db import connections
        from waitress import create_server

        from yemai.wsgi import application

        connections.close_all()  # no database connection may cross a fork
        children: dict[int, int] = {}  # pid → worker index

        def spawn(index: int) -> None:
            pid = os.fork()
            if pid:
                children[pid] = index
                return
            code = 0
            try:
                # Not the parent's handlers (a process started again inherits them).
                signal.signal(signal.SIGTERM, _raise_interrupt)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                server = create_server(
                    application, sockets=[listener], threads=settings.WEB_THREADS, ident="Yemai"
                )
                stop = threading.Event()
                if index == 0 and not no_tasks:
                    runner_threads_start(stop, prefix=f"serve:{port}:w0")
                try:
                    server.run()
                except KeyboardInterrupt:
                    pass
                finally:
                    stop.set()
            except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)

        for index in range(workers):
            spawn(index)
        self.stdout.write(self.style.SUCCESS(f"Yemai is running at {url} ({workers} processes)"))
        self.stdout.write("Press Ctrl+C to stop.")
        self.stdout.flush()
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True
            for pid in list(children):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            index = children.pop(pid, None)
            if index is None or stopping:
                continue
            self.stderr.write(
                f"server process {index} stopped ({_exit_text(status)}); starting it again"
            )
            time.sleep(1)
            if not stopping:
                spawn(index)
        listener.close()

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


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, made before the server processes fork."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit {os.WEXITSTATUS(status)}"
