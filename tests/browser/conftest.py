"""Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser), against
pytest-django's live server. Every page visited is saved as a screenshot under
tests/artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; the test's own database calls are
# ordinary synchronous calls between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"

live_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}
DESK = {"viewport": {"width": 1366, "height": 860}}


class Pages:
    """Opens contexts (a phone, a desk) and saves a screenshot of each page visited."""

    def __init__(self, browser, live_server, name):
        self.browser = browser
        self.url = live_server.url
        self.name = re.sub(r"\W+", "_", name)
        self.count = 0
        self.contexts = []
        SHOTS.mkdir(parents=True, exist_ok=True)

    def context(self, *, phone=False, **extra):
        options = {**(PHONE if phone else DESK), "base_url": self.url, **extra}
        context = self.browser.new_context(**options)
        context.set_default_timeout(15000)
        self.contexts.append(context)
        return context

    def shot(self, page, label: str):
        self.count += 1
        path = SHOTS / f"{self.name}_{self.count:02d}_{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, context, username: str, password: str = PASSWORD):
        page = context.new_page()
        page.goto("/login/")
        self.shot(page, f"login_{username}")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit].primary")
        page.wait_for_load_state("networkidle")
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser, live_server, request, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    p = Pages(browser, live_server, request.node.name)
    yield p
    p.close()


def jpeg(colour=(200, 80, 40), size=(320, 240)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", quality=85)
    return out.getvalue()


def photo_file(name="photo.jpg", colour=(200, 80, 40)) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg(colour)}


def wait_until(page, expression: str, timeout: float = 15.0):
    """Poll a JavaScript expression (page.wait_for_function evaluates strings with eval,
    which the pages' Content-Security-Policy forbids)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout} s: {expression}")


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
