"""Report jobs (报告任务): a work report, notice or tables rendered in the background."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yemai.core.scoping import ScopedModel


class ReportJob(ScopedModel):
    """One rendering of a report for a grid node and a period; its files stay for download."""

    class Kind(models.TextChoices):
        WORK = "work", _("Work report")  # 工作汇报
        TABLES = "tables", _("Statistical tables")  # 统计表
        NOTICE = "notice", _("Campaign notice")  # 通报

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    grid = models.ForeignKey(
        "grids.GridNode", verbose_name=_("grid"), on_delete=models.CASCADE,
        related_name="report_jobs",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORK)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))  # exclusive
    campaign_id = models.PositiveIntegerField(_("campaign"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=120, blank=True)
    error = models.TextField(_("error"), blank=True)
    docx = models.FileField(_("Word document"), upload_to="reports/%Y/", blank=True)
    xlsx = models.FileField(_("workbook"), upload_to="reports/%Y/", blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/", blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.grid} {self.start}–{self.last_day}"

    @property
    def last_day(self):
        """The period's last day (``end`` is the day after it)."""
        import datetime as dt

        return self.end - dt.timedelta(days=1)
