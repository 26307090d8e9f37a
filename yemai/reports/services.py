"""Reports: rendering (work report, notice, tables), the background jobs, PDF conversion.

A report is rendered from data only: ``collect`` runs the aggregate queries, the writers turn
them into a Word document and workbooks. Pages start a ``ReportJob`` that a background task
renders (progress stored on the job, polled by the page); the command line renders in process
with a progress bar.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yemai.core.audit import audit_record
from yemai.core.tasks import task_enqueue
from yemai.ledgers import selectors as ledger_selectors
from yemai.ledgers.access import audit_user, node_by_code

from .figures import Period, collect
from .models import ReportJob
from .notice import campaign_notice
from .tables import statistical_tables
from .work import work_report


def require_reports(user) -> None:
    if user is None:
        return
    if not getattr(user, "can_manage_people", False):
        raise PermissionDenied(_("Your role may not make reports"))


def period_check(start: dt.date, end: dt.date) -> Period:
    if end <= start:
        raise ValidationError({"end": [_("The period must end after it starts")]})
    if (end - start).days > 366 * 5:
        raise ValidationError({"end": [_("A report covers five years at most")]})
    return Period(start, end)


def render_work(*, user, node, period: Period, progress=None) -> tuple[bytes, bytes, dict]:
    """(docx, companion xlsx, timings) of the work report of ``node`` for ``period``."""
    import time

    t0 = time.perf_counter()
    data = collect(user=user, node=node, period=period, progress=progress)
    t1 = time.perf_counter()
    if progress:
        progress("撰写文档", 75)
    docx, xlsx, _charts, book = work_report(data)
    t2 = time.perf_counter()
    return docx, xlsx, {"queries_s": t1 - t0, "writing_s": t2 - t1, "figures": len(book.figures)}


def render_tables(*, user, node, period: Period, progress=None) -> bytes:
    data = collect(user=user, node=node, period=period, progress=progress)
    return statistical_tables(data)


def render_notice(*, user, campaign) -> bytes:
    ranking = ledger_selectors.campaign_ranking(user=user, campaign=campaign)
    return campaign_notice(campaign=campaign, ranking=ranking, issuer=campaign.grid.name)


def docx_to_pdf(docx: bytes, *, timeout: float = 120) -> bytes | None:
    """The PDF of a Word document through LibreOffice (headless); None when it is not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.docx"
        source.write_bytes(docx)
        profile = Path(tmp) / "profile"
        subprocess.run(  # noqa: S603 — a fixed program and our own file
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", tmp, str(source)],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        return (Path(tmp) / "report.pdf").read_bytes()


# --- Jobs -----------------------------------------------------------------------------------


@transaction.atomic
def report_job_create(*, user, node_code: str, kind: str = ReportJob.Kind.WORK, start: dt.date,
                      end: dt.date, campaign_id: int | None = None) -> ReportJob:  # fmt: skip
    """Start rendering a report in the background; the page polls the job."""
    require_reports(user)
    if kind not in ReportJob.Kind.values:
        raise ValidationError({"kind": [_("Unknown report kind")]})
    node = node_by_code(user, node_code, field="node")
    period_check(start, end)
    if kind == ReportJob.Kind.NOTICE:
        if campaign_id is None:
            raise ValidationError({"campaign": [_("Choose a campaign")]})
        ledger_selectors.campaign_get(user=user, pk=campaign_id)
    job = ReportJob(grid=node, kind=kind, start=start, end=end, campaign_id=campaign_id,
                    created_by=user if getattr(user, "pk", None) else None)  # fmt: skip
    job.full_clean()
    job.save()
    task_enqueue(name="reports.render", args={"job_id": job.pk})
    return job


def _progress(job_id: int):
    def tick(step: str, pct: int) -> None:
        ReportJob.objects.filter(pk=job_id).update(step=step, progress=pct)

    return tick


def report_job_run(*, job_id: int) -> None:
    """Render a job's files. Runs in a worker; running it twice renders again (harmless)."""
    job = ReportJob.objects.select_related("grid", "created_by").get(pk=job_id)
    user = job.created_by
    if user is None or not user.is_active:
        # Never render unrestricted: the report is counted inside its author's scope.
        ReportJob.objects.filter(pk=job.pk).update(
            state=ReportJob.State.FAILED, error="the account that asked for this report is gone"
        )
        return
    tick = _progress(job.pk)
    ReportJob.objects.filter(pk=job.pk).update(state=ReportJob.State.RUNNING, progress=1, error="")
    try:
        period = Period(job.start, job.end)
        stamp = f"{job.grid.code}-{job.start:%Y%m%d}-{job.end:%Y%m%d}-{job.pk}"
        if job.kind == ReportJob.Kind.WORK:
            docx, xlsx, _t = render_work(user=user, node=job.grid, period=period, progress=tick)
            job.docx.save(f"work-{stamp}.docx", ContentFile(docx), save=False)
            job.xlsx.save(f"work-{stamp}-figures.xlsx", ContentFile(xlsx), save=False)
        elif job.kind == ReportJob.Kind.TABLES:
            xlsx = render_tables(user=user, node=job.grid, period=period, progress=tick)
            job.xlsx.save(f"tables-{stamp}.xlsx", ContentFile(xlsx), save=False)
            docx = None
        else:
            campaign = ledger_selectors.campaign_get(user=user, pk=job.campaign_id)
            docx = render_notice(user=user, campaign=campaign)
            job.docx.save(f"notice-{stamp}.docx", ContentFile(docx), save=False)
        if docx is not None:
            tick("转换PDF", 90)
            try:
                pdf = docx_to_pdf(docx)
            except (subprocess.SubprocessError, OSError):
                pdf = None
            if pdf:
                job.pdf.save(f"{job.kind}-{stamp}.pdf", ContentFile(pdf), save=False)
        job.state, job.progress, job.step = ReportJob.State.DONE, 100, "完成"
        job.finished_at = timezone.now()
        job.save()
        audit_record(user=audit_user(user), kind="export", obj=job, detail={"report": job.kind})
    except Exception as exc:
        ReportJob.objects.filter(pk=job.pk).update(
            state=ReportJob.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
