"""A local HTTP receiver (127.0.0.1 only) that stands in for robots, providers and push
services, and a clock the tests move by hand."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from yemai.core.models import Task
from yemai.core.tasks import Runner


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Each answer is (status, JSON body); the last one repeats.
    answers: list[tuple[int, dict]] = field(default_factory=lambda: [(200, {"errcode": 0})])
    accepted: list[Received] = field(default_factory=list)

    def answer_with(self, *answers: tuple[int, dict]) -> None:
        self.answers = list(answers)


@pytest.fixture
def receiver():
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Received(
                method="POST",
                path=parts.path,
                query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
                raw_query=parts.query,
            )
            with lock:
                state.requests.append(request)
                status, body = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
                if (
                    200 <= status < 300
                    and body.get("errcode", 0) == 0
                    and body.get("Code", "OK") == "OK"
                ):
                    state.accepted.append(request)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self):
        self.now = timezone.localtime().replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def drain(clock: Clock, *, rounds: int = 200) -> int:
    """Run tasks as a worker would, moving the clock to each next due time; return runs."""
    runner = Runner(worker_id="test")
    total = 0
    for _ in range(rounds):
        total += runner.run_due()
        nxt = Task.objects.filter(state=Task.State.PENDING).order_by("run_at").first()
        if nxt is None:
            return total
        if nxt.run_at > clock.now:
            clock.now = nxt.run_at
    raise AssertionError(f"tasks still pending after {rounds} rounds")
