"""Reads of the report jobs, inside the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from yemai.core.scoping import get_scoped_or_404

from .models import ReportJob


def report_job_list(*, user) -> QuerySet[ReportJob]:
    return ReportJob.objects.restrict(user).select_related("grid").order_by("-created_at")[:20]


def report_job_get(*, user, pk: int) -> ReportJob:
    return get_scoped_or_404(ReportJob.objects.select_related("grid"), user, pk=pk)
