"""The residents' Excel import in a real browser: upload, watch the check finish, confirm, and
watch the import's progress bar reach 100 % and the result, while the runner works in the
background."""

from __future__ import annotations

import threading

import pytest

from tests.browser.conftest import live_db
from tests.factories import build_town
from tests.people.conftest import build_xlsx, resident_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def town(settings):
    settings.TOTP_REQUIRED = False  # the security tests cover the second factor
    return build_town()


@live_db
def test_a_village_head_confirms_an_import_and_watches_it_finish(pages, town):
    from yemai.core.tasks import Runner
    from yemai.people.models import ImportJob, Resident

    errors = []
    page = pages.login(pages.context(), "dongmen_head")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/admin/people/resident/import/")
    file = {
        "name": "东门实有人口.xlsx",
        "mimeType": XLSX,
        "buffer": build_xlsx(resident_rows(6)).getvalue(),
    }
    page.set_input_files("#id_file", file)
    page.click("input[type=submit][value='Check the file']")
    bar = page.locator("[role=progressbar]")
    bar.wait_for()
    assert bar.get_attribute("aria-valuenow") == "0"
    pages.shot(page, "check_waiting")

    def work():
        worker = threading.Thread(target=lambda: Runner().run_due())
        worker.start()
        worker.join(timeout=60)

    work()  # the check; the page polls it, then reloads itself to draw the report
    page.wait_for_selector("input[name=confirm]", timeout=20000)
    assert "To create: 6" in page.inner_text("#import-result")
    pages.shot(page, "check_done")
    page.click("input[name=confirm]")
    page.wait_for_selector("#import-job[data-state=waiting]")
    assert page.locator("[role=progressbar]").get_attribute("aria-valuenow") == "0"
    assert not Resident.objects.filter(name__startswith="居民").exists()
    work()  # the import
    page.wait_for_selector("#import-result", timeout=20000)
    pages.shot(page, "import_done")
    assert page.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    assert "6 of 6 rows (100%)" in page.inner_text("#import-progress-text")
    assert "Created: 6" in page.inner_text("#import-result")
    assert ImportJob.objects.get(dry_run=False).state == "done"
    assert Resident.objects.filter(name__startswith="居民").count() == 6
    assert errors == []
