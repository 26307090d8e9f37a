"""Signing in as a person does: the login form, then the second factor when the role needs it."""

from __future__ import annotations

import re

import pyotp

from tests.factories import PASSWORD

SECRET_RE = re.compile(r'class="yemai-totp-secret">([A-Z2-7 ]+)<')


def secret_on_page(html: str) -> str:
    match = SECRET_RE.search(html)
    assert match, "the set-up page shows no key"
    return match.group(1).replace(" ", "")


def code_for(secret: str, offset: int = 0) -> str:
    import time

    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + offset * totp.interval)


def sign_in(client, username: str, password: str = PASSWORD, next_url: str = "/admin/"):
    """Post the login form; returns the response (302 on success)."""
    return client.post(
        f"/admin/login/?next={next_url}", {"username": username, "password": password}
    )


def sign_in_with_totp(client, username: str, password: str = PASSWORD) -> str:
    """Password, then set up (or use) the authenticator; returns the TOTP secret."""
    response = sign_in(client, username, password)
    assert response.status_code == 302, response.content.decode()[:400]
    page = client.get("/admin/")
    assert page.status_code == 302 and page.url.startswith("/account/2fa/"), page
    setup = client.get(page.url)
    assert setup.status_code == 200
    secret = secret_on_page(setup.content.decode())
    done = client.post(page.url, {"code": code_for(secret)})
    assert done.status_code == 302, done.content.decode()[:400]
    return secret


def finish_totp_in_browser(page) -> str:
    """On /account/2fa/ in Playwright: read the key shown, enter the current code; returns the
    secret (browser tests of roles that need a second factor call this after the password)."""
    secret = page.inner_text(".yemai-totp-secret").replace(" ", "")
    page.fill("#id_code", code_for(secret))
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    return secret


def reseed_reference_data() -> None:
    """Run the data migrations' seeding again (tags, the case taxonomy), as in a freshly
    migrated database: a transactional test before this one may have flushed them."""
    import importlib

    from django.apps import apps
    from django.db import connection

    from yemai.people.models import Tag

    if Tag.objects.exists():
        return
    for module in ["yemai.people.migrations.0002_tags", "yemai.cases.migrations.0002_taxonomy"]:
        migration = importlib.import_module(module)
        for op in migration.Migration.operations:
            if hasattr(op, "code"):
                with connection.schema_editor() as editor:
                    op.code(apps, editor)
