"""The reports page (/reports/): pick a grid node and a period, start, watch, download.

The page posts a form (a job starts in the background), then polls the job's JSON status
from ``static/reports/reports.js``; the files are served through views that check the scope.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required as _login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yemai.core.audit import audit_record
from yemai.grids import selectors as grid_selectors
from yemai.ledgers import selectors as ledger_selectors

from . import selectors, services
from .models import ReportJob

login_required = _login_required(login_url=reverse_lazy("web:login"))
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give a date like 2026-05-01")]}) from None


def _nodes(user):
    """Towns and villages of the scope; a micro-grid user's own micro-grid."""
    nodes = list(grid_selectors.grid_node_list(user=user).exclude(level="micro")[:300])
    scope = getattr(user, "scope", None)
    return nodes or ([scope] if scope is not None else [])


@login_required
@require_http_methods(["GET", "POST"])
def reports_page(request):
    user = request.user
    year = timezone.localdate().year
    errors = {}
    form = {"node": getattr(user.scope, "code", ""), "kind": "work", "start": f"{year}-01-01",
            "end": f"{year}-12-31", "campaign": ""}  # fmt: skip
    if request.method == "POST":
        form.update({k: request.POST.get(k, "").strip() for k in form})
        try:
            start = _date(form["start"], "start")
            end = _date(form["end"], "end") + dt.timedelta(days=1)  # the form's end day is included
            campaign = int(form["campaign"]) if form["campaign"].isdigit() else None
            job = services.report_job_create(
                user=user, node_code=form["node"], kind=form["kind"], start=start, end=end,
                campaign_id=campaign,
            )  # fmt: skip
            return redirect(f"{reverse('reports:page')}?job={job.pk}")
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        except PermissionDenied as exc:
            errors = {"__all__": [str(exc)]}
    campaigns = ledger_selectors.ledger_list(kind="campaigns", user=user)[:50]
    return render(
        request,
        "reports/page.html",
        {"nodes": _nodes(user), "form": form, "errors": errors, "jobs": selectors.report_job_list(user=user),
         "campaigns": campaigns, "kinds": ReportJob.Kind.choices, "current": request.GET.get("job", "")},
        status=400 if errors else 200,
    )  # fmt: skip


@login_required
@require_GET
def job_status(request, job_id: int):
    job = selectors.report_job_get(user=request.user, pk=job_id)
    files = {
        fmt: reverse("reports:download", args=[job.pk, fmt])
        for fmt in ("docx", "xlsx", "pdf")
        if getattr(job, fmt)
    }
    return JsonResponse({"id": job.pk, "state": job.state, "state_label": job.get_state_display(),
                         "progress": job.progress, "step": job.step, "error": job.error, "files": files})  # fmt: skip


@login_required
@require_GET
def download(request, job_id: int, fmt: str):
    if fmt not in CONTENT_TYPES:
        raise Http404
    job = selectors.report_job_get(user=request.user, pk=job_id)
    field = getattr(job, fmt)
    if not field:
        raise Http404
    audit_record(user=request.user, kind="export", obj=job, detail={"format": fmt})
    name = field.name.rsplit("/", 1)[-1]
    return FileResponse(
        field.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[fmt]
    )
