"""Excel imports that run in the background (导入任务), so that a village's file of several
thousand residents never holds a web request open (the check alone takes seconds).

The admin page stores an uploaded file encrypted on a *check* job (``dry_run``) and enqueues
the task ``people.import`` in the same transaction (``import_job_create``). The task
(``import_job_run``) calls ``import_xlsx`` as the user who started the job — the same rules,
scope and audit as the command line — and records the report. A check that may lead to an
import keeps its file for an hour while its page offers "Confirm the import"; confirming
(``import_job_confirm``) moves the file to a new *import* job, enqueued the same way, which
writes everything in one transaction and empties the file when it ends, done or failed.

How far the import has got is written every ``PROGRESS_EVERY`` rows, not every row. It cannot
go through the import's own connection: ``import_xlsx`` writes everything in one transaction
(all or nothing), and nothing written inside it is visible to the page until it commits. So:

* on PostgreSQL the count is written to the job's row through a second connection, in
  autocommit (the import's transaction never touches the job's row, so nothing waits);
* on SQLite a second connection cannot write while the import holds the database's one write
  turn, so the count goes to a small file beside the database (``<DATA_DIR>/import-jobs/``),
  which the page reads while the job runs. SQLite is the one-machine tier: the web process
  and the runner share that folder.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import logging
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.logfilter import mask_text
from yemai.core.tasks import task_enqueue

from .access import audit_user, require_manage
from .choices import ImportJobState, LedgerKind
from .import_rows import KINDS
from .importers import ImportReport, import_xlsx, resolve_key
from .models import ImportJob

log = logging.getLogger("yemai.people.import")

TASK = "people.import"
PROGRESS_EVERY = 100  # rows between two progress writes
CONFIRM_WITHIN = dt.timedelta(hours=1)  # a checked file waits this long for confirmation
XLSX_MAGIC = b"PK\x03\x04"  # an xlsx workbook is a zip file
MAX_TRIES = 2  # a job whose worker was lost twice ends failed instead of starting a third time
State = ImportJobState


# --- Progress ---------------------------------------------------------------------------------


def progress_path(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "import-jobs" / f"{job_id}.progress"


def progress_file_read(job_id: int) -> tuple[int, int] | None:
    """(rows done, rows in the file) written by a running import on SQLite, if any."""
    try:
        done, total = progress_path(job_id).read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return None


class JobProgress:
    """The ``progress`` callback ``import_xlsx`` takes: passes the rows through and writes the
    count every ``every`` rows where a page can read it while the import is still open."""

    def __init__(self, job_id: int, *, every: int = PROGRESS_EVERY):
        self.job_id = job_id
        self.every = max(1, every)
        self.done = 0
        self.total = 0
        self.writes = 0
        self.spent = 0.0  # seconds spent writing progress (the benchmark reports it)
        self._side = None
        self._broken = False
        self._to_file = connection.vendor == "sqlite"

    def __call__(self, rows: Iterable, total: int) -> Iterator:
        self.total = total
        self.write()
        for row in rows:
            yield row  # resumed when the import asks for the next row: this one is done
            self.done += 1
            if self.done % self.every == 0:
                self.write()
        self.write()

    def write(self) -> None:
        if self._broken:
            return
        self.writes += 1
        started = time.perf_counter()
        try:
            if self._to_file:
                self._write_file()
            else:
                self._write_row()
        except (OSError, DatabaseError) as exc:
            # A progress bar that stops moving is better than an import that fails for it.
            log.warning("import job %s: progress not written: %s", self.job_id, exc)
            self._broken = True
        finally:
            self.spent += time.perf_counter() - started

    def _write_file(self) -> None:
        target = progress_path(self.job_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_suffix(".tmp")
        scratch.write_text(f"{self.done} {self.total}")
        os.replace(scratch, target)  # a reader sees the old count or the new, never half

    def _write_row(self) -> None:
        if self._side is None:
            self._side = connections.create_connection(connection.alias)
        quote = self._side.ops.quote_name
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(ImportJob._meta.db_table)} SET {quote('rows_done')} = %s, "  # noqa: S608 — names from the model
                f"{quote('rows_total')} = %s WHERE {quote('id')} = %s AND {quote('state')} = %s",
                [self.done, self.total, self.job_id, State.RUNNING],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        progress_path(self.job_id).unlink(missing_ok=True)


# --- Services ---------------------------------------------------------------------------------


def _check_request(*, user, kind: str, data: bytes, key: str) -> None:
    """What can be refused at once, before a job exists: the role, the ledger, the key, a file
    that is not an xlsx workbook at all."""
    require_manage(user)
    if kind not in LedgerKind.values:
        raise ValidationError({"kind": [_("Unknown ledger %(kind)s") % {"kind": kind}]})
    resolve_key(KINDS[kind], key)
    if not data.startswith(XLSX_MAGIC):
        raise ValidationError({"file": [_("The file is not an Excel workbook (.xlsx)")]})


def import_jobs_sweep(*, now=None) -> int:
    """Drop the files of checks nobody confirmed within ``CONFIRM_WITHIN``, and any upload
    left by the earlier in-request import (``<DATA_DIR>/pending-imports``: nothing can confirm
    those any more)."""
    legacy = Path(settings.DATA_DIR) / "pending-imports"
    if legacy.is_dir():
        for stale in legacy.glob("*.bin"):
            stale.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            legacy.rmdir()
    cutoff = (now or timezone.now()) - CONFIRM_WITHIN
    return ImportJob.objects.filter(awaiting_confirmation=True, finished_at__lt=cutoff).update(
        awaiting_confirmation=False, upload=""
    )


@transaction.atomic
def import_job_create(
    *,
    user,
    kind: str,
    data: bytes,
    filename: str = "",
    skip_bad_rows: bool = False,
    key: str = "",
    dry_run: bool = True,
) -> ImportJob:
    """Store an uploaded file encrypted on a new job and enqueue it (same transaction): a
    check by default, which the user then confirms (``import_job_confirm``)."""
    _check_request(user=user, kind=kind, data=data, key=key)
    import_jobs_sweep()
    job = ImportJob(
        kind=kind,
        created_by=audit_user(user),
        scope=getattr(user, "scope", None),
        filename=filename[:255],
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        key=key,
        upload=base64.b64encode(data).decode(),
    )
    job.full_clean(exclude=["upload", "created_by"])
    job.save()
    task_enqueue(name=TASK, args={"job_id": job.pk})
    return job


def import_job_confirm(*, user, check_id: int) -> ImportJob:
    """The user confirms their finished check: its file moves to a new import job, enqueued."""
    require_manage(user)
    import_jobs_sweep()  # outside the transaction below: a refusal must not undo it
    with transaction.atomic():
        check = (
            ImportJob.objects.select_for_update()
            .filter(pk=check_id, dry_run=True, created_by=getattr(user, "pk", None))
            .first()
        )
        if check is None or not awaits_confirmation(check) or not check.upload:
            raise ValidationError(
                _(
                    "This check can no longer be confirmed (confirmed already, or older than "
                    "an hour)."
                )
            )
        job = ImportJob(
            kind=check.kind,
            created_by=check.created_by,
            scope=check.scope,
            filename=check.filename,
            source_check=check,
            skip_bad_rows=check.skip_bad_rows,
            key=check.key,
            upload=check.upload,
        )
        job.save()
        ImportJob.objects.filter(pk=check.pk).update(awaiting_confirmation=False, upload="")
        task_enqueue(name=TASK, args={"job_id": job.pk})
    return job


def awaits_confirmation(job: ImportJob, *, now=None) -> bool:
    """A finished check whose file still waits (not confirmed, not expired)."""
    cutoff = (now or timezone.now()) - CONFIRM_WITHIN
    return bool(job.awaiting_confirmation and job.finished_at and job.finished_at >= cutoff)


def confirmable(report: ImportReport, *, skip_bad_rows: bool) -> bool:
    """A check may lead to the import when it found no bad row, or the user chose to skip
    them — but not when the file itself is wrong (no key column: row 0)."""
    if any(e.row == 0 for e in report.errors):
        return False
    return report.ok or skip_bad_rows


def import_job_run(*, job_id: int, every: int | None = None) -> None:
    """Check or import a job's file as the user who started it; end the job done or failed.

    A task runs at least once: a job that already ended is left alone, and one found running
    (its worker was lost; the import's transaction died with it) runs again from the start.
    """
    started = ImportJob.objects.filter(pk=job_id, state__in=[State.WAITING, State.RUNNING]).update(
        state=State.RUNNING, tries=F("tries") + 1, started_at=timezone.now(), rows_done=0, error=""
    )
    if not started:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    progress = JobProgress(job.pk, every=every or PROGRESS_EVERY)
    try:
        _run(job, progress)
    finally:
        progress.close()


def _run(job: ImportJob, progress: JobProgress) -> None:
    if job.tries > MAX_TRIES:
        _fail(
            job,
            _(
                "The import was interrupted %(n)s times before it finished (the worker "
                "stopped). Nothing has been imported: upload the file again."
            )
            % {"n": job.tries - 1},
        )
        return
    user = job.created_by
    if user is None or not user.is_active:
        _fail(job, _("The account that started this import is gone or disabled."))
        return
    try:
        report = import_xlsx(
            kind=job.kind,
            file=io.BytesIO(base64.b64decode(job.upload or "")),
            user=user,
            skip_bad_rows=job.skip_bad_rows,
            key=job.key,
            filename=job.filename,
            dry_run=job.dry_run,
            progress=progress,
        )
    except ValidationError as exc:
        _fail(job, " ".join(exc.messages))
    except PermissionDenied as exc:
        _fail(job, str(exc) or _("Your role may not change the people registry"))
    except Exception as exc:  # noqa: BLE001 — any crash ends the job; the import rolled back
        log.exception("import job %s failed", job.pk)
        error = mask_text(f"{type(exc).__name__}: {exc}")[:500]
        _fail(
            job,
            _("The import stopped on an error and nothing has been imported: %(error)s")
            % {"error": error},
        )
    else:
        rows = max(progress.total, progress.done)
        if job.dry_run:
            waiting = confirmable(report, skip_bad_rows=job.skip_bad_rows)
            _end(job, State.DONE, report=report, rows=rows, keep_file=waiting)
        elif report.applied:
            _end(job, State.DONE, report=report, rows=rows)
        else:
            _fail(
                job,
                _(
                    "Nothing has been imported: the file has bad rows now (the registry changed "
                    "since the check). Correct them and upload the file again."
                ),
                report=report,
            )


def _fail(job: ImportJob, message: str, report: ImportReport | None = None) -> None:
    _end(job, State.FAILED, report=report, error=message)


def _end(
    job: ImportJob,
    state: str,
    *,
    report: ImportReport | None,
    rows: int | None = None,
    error: str = "",
    keep_file: bool = False,
) -> None:
    """The job's last write: its outcome, and the file gone — unless it is a check whose file
    now waits for the user to confirm the import."""
    changes = {
        "state": state,
        "error": error,
        "finished_at": timezone.now(),
        "report": report_dict(report) if report is not None else {},
        "awaiting_confirmation": keep_file,
    }
    if not keep_file:
        changes["upload"] = ""
    if rows is not None:
        changes.update(rows_done=rows, rows_total=rows)
    ImportJob.objects.filter(pk=job.pk).update(**changes)


def report_dict(report: ImportReport) -> dict:
    """What the job page shows of a report: the counts and each bad row's reason."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "skipped": report.skipped,
        "bad_rows": report.bad_rows,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in report.errors],
    }
