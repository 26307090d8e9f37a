import importlib
import shutil
from pathlib import Path

import pytest

from tests.factories import build_town
from yemai.core import refcache

# The data migrations that seed reference rows (the tag list, the case taxonomy, the activity
# types): the rows a freshly migrated database has before anyone uses it.
SEEDS = [  # (migration, its seeding function, the model it fills)
    ("yemai.people.migrations.0002_tags", "create_tags", "people.Tag"),
    ("yemai.cases.migrations.0002_taxonomy", "load", "cases.Category"),
    ("yemai.ledgers.migrations.0001_initial", "seed_activity_types", "ledgers.ActivityType"),
]
DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def reference_data_reseed() -> bool:
    """Seed the reference rows again where a flush emptied them; True if it had to."""
    from django.apps import apps as registry
    from django.db import connection

    seeded = False
    for module_name, function, label in SEEDS:
        if registry.get_model(label).objects.exists():
            continue
        module = importlib.import_module(module_name)
        for op in module.Migration.operations:
            code = getattr(op, "code", None)
            if code is not None and code.__name__ == function:
                with connection.schema_editor() as editor:
                    code(registry, editor)
                seeded = True
    return seeded


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """A transactional test (live server, browser) ends with a flush that empties every table,
    the rows the data migrations seeded included. Before each database test they are put back
    if missing, committed outside the test's transaction (so it happens once per flush)."""
    if not DB_FIXTURES & set(request.fixturenames) and not request.node.get_closest_marker(
        "django_db"
    ):
        yield
        return
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        reference_data_reseed()
    # Each test starts from its own rows: nothing cached from a rolled-back or flushed test.
    refcache.clear_all()
    yield


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one for the whole run: Playwright's sync API runs
    one event loop per thread, so every browser test shares this one."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield browser
        browser.close()


@pytest.fixture
def town(db):
    return build_town()


@pytest.fixture(autouse=True)
def _fresh_locator():
    from yemai.grids import locator

    locator.invalidate()
    yield
    locator.invalidate()
