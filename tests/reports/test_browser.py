"""The reports page in a real browser: start the town's report, watch it finish, see the links.

Chromium (Debian's) through Playwright, against the live server; screenshots are kept under
tests/artifacts/screenshots/.
"""

from __future__ import annotations

import threading

from tests.browser.conftest import live_db, pages, wait_until  # noqa: F401 — fixtures
from tests.factories import build_town
from tests.ledgers.data import YEAR, year_of_work


@live_db
def test_a_town_head_starts_the_report_and_the_page_shows_it_done(pages):  # noqa: F811
    from yemai.core.tasks import Runner
    from yemai.reports.models import ReportJob

    town = build_town()
    year_of_work(town)
    context = pages.context()
    errors = []
    page = pages.login(context, "town_head")
    if "/account/2fa/" in page.url:  # the town head may see whole personal data: a second factor
        from tests.security.helpers import finish_totp_in_browser

        finish_totp_in_browser(page)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/reports/")
    pages.shot(page, "reports_page")
    page.select_option("#node", town.town.code)
    page.fill("#start", f"{YEAR}-01-01")
    page.fill("#end", f"{YEAR}-12-31")
    page.click("form.report-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    job = ReportJob.objects.get()
    assert page.locator("#current-job").count() == 1
    # The worker renders the job while the page polls its status.
    worker = threading.Thread(target=lambda: Runner().run_due())
    worker.start()
    worker.join(timeout=120)
    wait_until(page, "document.querySelector('#current-job').dataset.state === 'done'", timeout=30)
    pages.shot(page, "report_done")
    links = page.locator("#current-job .files a").all_inner_texts()
    assert "Word" in links and "Excel" in links
    with page.expect_download() as download:
        page.click("#current-job .files a:text('Word')")
    assert download.value.suggested_filename.endswith(".docx")
    job.refresh_from_db()
    assert job.state == "done" and errors == []
