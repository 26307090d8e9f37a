"""The admin import runs as background jobs with a progress page: the check, then the import.

Upload → a check job, nothing read yet; the runner (run here in the test, as the worker would)
checks; the user confirms on the check's page → an import job; the runner imports and ends the
job done or failed.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, connections

from tests.people.conftest import build_xlsx, resident_rows
from yemai.core.models import AuditEvent, Task
from yemai.core.tasks import Runner
from yemai.people import import_jobs
from yemai.people.import_rows import KINDS
from yemai.people.models import ImportJob, Resident
from yemai.people.selectors import import_job_status

pytestmark = pytest.mark.django_db

IMPORT = "/admin/people/resident/import/"


def _raw_upload(pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT upload FROM people_importjob WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _checked(client, rows, **form):
    """Upload a file and run its check; returns the check job and its page's address."""
    response = client.post(IMPORT, {"file": build_xlsx(rows), **form})
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert Runner().run_due() == 1
    return ImportJob.objects.get(dry_run=True, pk=response["Location"].split("/")[-2]), response[
        "Location"
    ]


def _started(client_as, user, rows=None):
    """Upload, check and confirm as ``user``: the import job (waiting) and its page."""
    client = client_as(user)
    check, url = _checked(client, rows or resident_rows(6))
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    return ImportJob.objects.get(dry_run=False), response["Location"]


def test_uploading_starts_a_check_in_the_background(client_as, town):
    client = client_as(town.dongmen_head)
    response = client.post(IMPORT, {"file": build_xlsx(resident_rows(6))})
    check = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{IMPORT}{check.pk}/"
    assert check.dry_run and check.state == "waiting" and check.created_by == town.dongmen_head
    assert check.scope == town.dongmen and check.filename == "ledger.xlsx"
    # The file waits encrypted on the job, not as base64 of the zip.
    raw = _raw_upload(check.pk)
    assert raw.startswith(("a1$", "s1$")) and "UEsDB" not in raw
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page
    assert "Waiting" in page and 'http-equiv="refresh"' in page  # inside <noscript>
    assert "people/import_job.js" in page
    assert Runner().run_due() == 1
    check.refresh_from_db()
    assert check.state == "done" and check.awaiting_confirmation and check.upload
    page = client.get(response["Location"]).content.decode()
    assert "To create: 6" in page and 'name="confirm"' in page and 'aria-valuenow="100"' in page
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_confirming_enqueues_an_import_and_returns_at_once(client_as, town):
    client = client_as(town.dongmen_head)
    check, url = _checked(client, resident_rows(6))
    response = client.post(url, {"confirm": "1"})
    job = ImportJob.objects.get(dry_run=False)
    assert response.status_code == 302 and response["Location"] == f"{IMPORT}{job.pk}/"
    assert not Resident.objects.filter(name__startswith="居民").exists()
    assert job.state == "waiting" and job.source_check == check
    task = Task.objects.filter(name="people.import", state="pending").get()
    assert task.args == {"job_id": job.pk}
    # The file moved: the check holds it no longer; the import holds it encrypted.
    check.refresh_from_db()
    assert check.upload == "" and not check.awaiting_confirmation
    assert _raw_upload(job.pk).startswith(("a1$", "s1$"))
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page and "Waiting" in page
    assert f'href="{url}"' in page  # the import links to its check, and back
    assert f'href="{response["Location"]}"' in client.get(url).content.decode()
    assert client.post(url, {"confirm": "1"}).status_code == 302  # a second time: refused
    assert ImportJob.objects.filter(dry_run=False).count() == 1


def test_a_check_waits_an_hour_at_most_for_confirmation(client_as, town):
    client = client_as(town.dongmen_head)
    check, url = _checked(client, resident_rows(2))
    ImportJob.objects.filter(pk=check.pk).update(
        finished_at=check.finished_at - dt.timedelta(hours=2)
    )
    assert 'name="confirm"' not in client.get(url).content.decode()
    page = client.post(url, {"confirm": "1"}, follow=True).content.decode()
    assert "can no longer be confirmed" in page
    check.refresh_from_db()
    assert check.upload == "" and not ImportJob.objects.filter(dry_run=False).exists()


def test_uploads_left_by_the_earlier_in_request_import_are_removed(client_as, town, settings):
    from pathlib import Path

    legacy = Path(settings.DATA_DIR) / "pending-imports"
    legacy.mkdir(parents=True, exist_ok=True)
    (legacy / "old-token.bin").write_text("sealed")
    _checked(client_as(town.dongmen_head), resident_rows(1))
    assert not legacy.exists()


def test_only_the_user_who_checked_may_confirm(client_as, town):
    check, url = _checked(client_as(town.dongmen1_leader), resident_rows(2))
    head = client_as(town.dongmen_head)
    page = head.get(url).content.decode()
    assert "To create: 2" in page and 'name="confirm"' not in page  # may watch, not confirm
    assert head.post(url, {"confirm": "1"}).status_code == 403
    assert not ImportJob.objects.filter(dry_run=False).exists()


def test_the_runner_imports_the_rows_and_the_page_shows_done_with_counts(client_as, town):
    client = client_as(town.dongmen_head)
    job, url = _started(client_as, town.dongmen_head)
    assert client.get(url, {"format": "json"}).json()["state"] == "waiting"
    assert Runner().run_due() == 1
    assert Resident.objects.filter(name__startswith="居民").count() == 6
    job.refresh_from_db()
    assert job.state == "done" and job.upload == "" and job.finished_at is not None
    assert job.report["created"] == 6 and job.report["updated"] == 0
    status = client.get(url, {"format": "json"}).json()
    assert status["state"] == "done" and status["finished"] is True
    assert status["percent"] == 100 and status["done"] == status["total"] == 6
    page = client.get(url).content.decode()
    assert 'aria-valuenow="100"' in page and "6 of 6 rows (100%)" in page
    assert "Created: 6" in page and "Updated: 0" in page and "Bad rows skipped: 0" in page
    assert 'http-equiv="refresh"' not in page and "import_job.js" not in page
    # The import audits as it always did, in the name of the user who confirmed it.
    [event] = [e for e in AuditEvent.objects.filter(kind="import") if not e.detail["dry_run"]]
    assert event.user == town.dongmen_head and event.detail["applied"] is True
    # The import page links to the job.
    assert url in client.get(IMPORT).content.decode()


def test_skipped_bad_rows_are_listed_on_the_job_page(client_as, town):
    client = client_as(town.dongmen_head)
    rows = resident_rows(5)
    rows[2][3] = "330282001002001"  # a micro-grid of the sibling village: outside the scope
    check, url = _checked(client, rows, skip_bad_rows="on")
    page = client.get(url).content.decode()
    assert "To create: 4" in page and "Bad rows: 1" in page and 'name="confirm"' in page
    assert "The bad rows above will be skipped." in page
    response = client.post(url, {"confirm": "1"})
    Runner().run_due()
    page = client.get(response["Location"]).content.decode()
    assert "Created: 4" in page and "Bad rows skipped: 1" in page
    assert 'id="import-errors"' in page and "330282001002001" in page


def _read_elsewhere(pk) -> ImportJob:
    if connection.vendor == "sqlite":  # the test database lives in memory: the file says it
        return ImportJob.objects.get(pk=pk)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT state, rows_done, rows_total FROM people_importjob WHERE id = %s", [pk]
            )
            state, done, total = cursor.fetchone()
    finally:
        other.close()
    return ImportJob(pk=pk, state=state, rows_done=done, rows_total=total)


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_every_n_rows_and_only_grows(client_as, monkeypatch):
    from tests.factories import build_town

    town = build_town()
    job, _url = _started(client_as, town.dongmen_head, resident_rows(45))
    monkeypatch.setattr(import_jobs, "PROGRESS_EVERY", 10)
    seen, stored = [], []
    write = import_jobs.JobProgress.write

    def watched(self):
        write(self)
        # What the page would show now, read on another connection (as a web process would)
        # while the import's transaction is still open.
        elsewhere = _read_elsewhere(job.pk)
        stored.append(elsewhere.rows_done)
        seen.append(import_job_status(elsewhere))

    monkeypatch.setattr(import_jobs.JobProgress, "write", watched)
    Runner().run_due()
    done = [s["done"] for s in seen]
    assert done == [0, 10, 20, 30, 40, 45]  # every 10 rows and the last, not every row
    if connection.vendor != "sqlite":  # PostgreSQL: on the job's row itself, committed
        assert stored == done
    assert all(s["total"] == 45 and s["state"] == "running" for s in seen)
    percents = [s["percent"] for s in seen]
    assert percents == sorted(percents) and percents[0] == 0 and 0 < percents[2] < 100
    final = import_job_status(ImportJob.objects.get(pk=job.pk))
    assert final["state"] == "done" and final["percent"] == 100
    assert not import_jobs.progress_path(job.pk).exists()


@pytest.mark.parametrize("username", ["ximen_head", "dongmen1_leader", "dongmen1_member"])
def test_a_user_outside_the_job_scope_or_role_gets_404(client_as, town, username):
    job, url = _started(client_as, town.dongmen_head)
    client = client_as(getattr(town, username))
    assert client.get(url).status_code == 404
    assert client.get(url, {"format": "json"}).status_code == 404
    assert url not in client.get(IMPORT).content.decode()


def test_the_starter_and_a_manager_over_the_scope_see_the_job(client, client_as, town):
    job, url = _started(client_as, town.dongmen1_leader)
    assert job.scope == town.dongmen1
    assert client_as(town.dongmen1_leader).get(url).status_code == 200
    assert client_as(town.dongmen_head).get(url).status_code == 200
    assert client_as(town.town_head).get(url).status_code == 200
    # Under another ledger's address the job does not exist.
    assert (
        client_as(town.dongmen_head).get(f"/admin/people/house/import/{job.pk}/").status_code == 404
    )
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_a_row_the_database_refuses_fails_the_job_and_imports_nothing(client_as, town, monkeypatch):
    client = client_as(town.dongmen_head)
    job, url = _started(client_as, town.dongmen_head)
    apply = KINDS["residents"].apply
    calls = []

    def refusing(self, values):
        calls.append(values)
        if len(calls) == 4:
            raise IntegrityError("duplicate key value violates unique constraint")
        return apply(self, values)

    monkeypatch.setattr(KINDS["residents"], "apply", refusing)
    Runner().run_due()
    job.refresh_from_db()
    assert job.state == "failed" and job.upload == ""
    assert "nothing has been imported" in job.error and "IntegrityError" in job.error
    assert not Resident.objects.filter(name__startswith="居民").exists()  # rows 1–3 rolled back
    assert not import_jobs.progress_path(job.pk).exists()
    page = client.get(url).content.decode()
    assert 'id="import-error"' in page and "duplicate key value" in page
    assert client.get(url, {"format": "json"}).json()["state"] == "failed"
    task = Task.objects.get(name="people.import", args={"job_id": job.pk})
    assert task.state == "done"  # ended once: no retry of a failed import


def test_a_crashing_import_fails_the_job_with_its_message(client_as, town, monkeypatch):
    job, _url = _started(client_as, town.dongmen_head)

    def crash(**kwargs):
        raise RuntimeError("worker ran out of memory")

    monkeypatch.setattr(import_jobs, "import_xlsx", crash)
    Runner().run_due()
    job.refresh_from_db()
    assert job.state == "failed" and "worker ran out of memory" in job.error
    assert job.upload == "" and job.finished_at is not None


def test_a_job_whose_worker_was_lost_twice_ends_failed(client_as, town):
    job, _url = _started(client_as, town.dongmen_head)
    ImportJob.objects.filter(pk=job.pk).update(state="running", tries=2)
    Runner().run_due()
    job.refresh_from_db()
    assert job.state == "failed" and "interrupted 2 times" in job.error and job.upload == ""
    assert not Resident.objects.filter(name__startswith="居民").exists()


def test_a_job_of_a_disabled_account_fails_without_importing(client_as, town):
    job, _url = _started(client_as, town.dongmen_head)
    town.dongmen_head.is_active = False
    town.dongmen_head.save()
    Runner().run_due()
    job.refresh_from_db()
    assert job.state == "failed" and "gone or disabled" in job.error and job.upload == ""
    assert not Resident.objects.filter(name__startswith="居民").exists()
