"""Admin pages beyond the model forms: Excel import (upload → a check in the background →
report → confirm → the import in the background, each watched on its job's page), Excel export,
and the audited "show whole" view of personal data.

An uploaded file waits encrypted on its job (``import_jobs``; it holds ID numbers): a check
keeps it while it waits for confirmation (an hour at most), the import empties it when it
ends, done or failed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .admin_forms import ImportForm
from .exporters import export_xlsx
from .import_jobs import awaits_confirmation, import_job_confirm, import_job_create
from .selectors import import_job_get, import_job_list, import_job_status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerAdminMixin:
    """Adds import/, export/ and <id>/reveal/ to a ScopedModelAdmin of the people app."""

    ledger_kind = ""  # residents, houses, households, organisations
    reveal_fields: tuple[str, ...] = ()  # model attributes shown whole by the reveal view
    change_list_template = "admin/people/ledger_change_list.html"
    change_form_template = "admin/people/ledger_change_form.html"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        urls = [
            path("import/", wrap(self.import_view), name=f"{prefix}_import"),
            path("import/<int:job_id>/", wrap(self.import_job_view), name=f"{prefix}_import_job"),
            path("export/", wrap(self.export_view), name=f"{prefix}_export"),
        ]
        if self.reveal_fields:
            urls.append(
                path("<path:object_id>/reveal/", wrap(self.reveal_view), name=f"{prefix}_reveal")
            )
        return urls + super().get_urls()

    def _url(self, name, *args):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def changelist_view(self, request, extra_context=None):
        user = request.user
        extra = {
            "may_import": getattr(user, "can_manage_people", False),
            "may_export": getattr(user, "can_manage_people", False),
            "may_export_whole": getattr(user, "can_reveal_pii", False)
            and getattr(user, "can_manage_people", False),
            "import_url": self._url("import"),
            "export_url": self._url("export"),
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        if self.reveal_fields and getattr(request.user, "can_reveal_pii", False):
            extra["reveal_url"] = self._url("reveal", object_id)
        return super().change_view(request, object_id, form_url, extra)

    def _page(self, request, template, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": context.pop("title"),
                "changelist_url": self._url("changelist"),
                **context,
            },
        )

    def reveal_view(self, request, object_id):
        """The whole values, for a role that may see them; each view writes an audit row."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not getattr(request.user, "can_reveal_pii", False):
            raise PermissionDenied
        from yemai.core.audit import audit_record

        audit_record(
            user=request.user, kind="view_pii", obj=obj, detail={"fields": list(self.reveal_fields)}
        )
        rows = [
            (self.opts.get_field(name).verbose_name, getattr(obj, name) or "—")
            for name in self.reveal_fields
        ]
        response = self._page(
            request,
            "admin/people/reveal.html",
            title=_("Whole personal data of %(name)s") % {"name": obj},
            object=obj,
            rows=rows,
            change_url=self._url("change", obj.pk),
        )
        response["Cache-Control"] = "no-store"
        return response

    def export_view(self, request):
        user = request.user
        unmasked = request.GET.get("unmasked") == "1"
        try:
            result = export_xlsx(
                kind=self.ledger_kind,
                user=user,
                grid=request.GET.get("grid") or None,
                unmasked=unmasked,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(self._url("changelist"))
        response = HttpResponse(result.content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
        response["Cache-Control"] = "no-store"
        return response

    def import_view(self, request):
        """Upload: the file goes to a check job at once; its page shows progress and report."""
        if not getattr(request.user, "can_manage_people", False):
            raise PermissionDenied
        title = _("Import %(ledger)s from Excel") % {"ledger": self.opts.verbose_name_plural}
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    user=request.user,
                    kind=self.ledger_kind,
                    data=upload.read(),
                    filename=upload.name,
                    skip_bad_rows=form.cleaned_data["skip_bad_rows"],
                    key=form.cleaned_data["key"],
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                return HttpResponseRedirect(self._url("import_job", job.pk))
        response = self._page(
            request,
            "admin/people/import.html",
            title=title,
            form=form,
            recent_jobs=self._recent_jobs(request),
        )
        if form.errors:
            response.status_code = 400
        return response

    def _recent_jobs(self, request):
        jobs = import_job_list(user=request.user).filter(kind=self.ledger_kind)[:5]
        return [(job, self._url("import_job", job.pk)) for job in jobs]

    def import_job_view(self, request, job_id):
        """A job's progress and, once it ended, its report; ``?format=json`` for the poller; a
        POST confirms a finished check. Only the user who started the job, or one who may
        manage people over its scope, sees it; only the one who started it confirms it."""
        job = import_job_get(user=request.user, pk=job_id, kind=self.ledger_kind)
        if request.method == "POST":
            return self._import_confirm(request, job)
        status = import_job_status(job)
        status["text"] = _("%(done)s of %(total)s rows (%(percent)s%%)") % status
        if request.GET.get("format") == "json":
            response = JsonResponse(status)
            response["Cache-Control"] = "no-store"
            return response
        name = job.filename or job.pk
        title = (
            _("Check of %(file)s") % {"file": name}
            if job.dry_run
            else _("Import of %(file)s") % {"file": name}
        )
        # The import that came of this check, or the check this import came of.
        follow = (
            job.imports.order_by("-id").values_list("pk", flat=True).first()
            if job.dry_run
            else job.source_check_id
        )
        return self._page(
            request,
            "admin/people/import_job.html",
            title=title,
            import_title=_("Import %(ledger)s from Excel")
            % {"ledger": self.opts.verbose_name_plural},
            import_url=self._url("import"),
            status_url=f"{self._url('import_job', job.pk)}?format=json",
            job=job,
            status=status,
            report=job.report,
            may_confirm=awaits_confirmation(job) and job.created_by_id == request.user.pk,
            follow_url=self._url("import_job", follow) if follow else "",
        )

    def _import_confirm(self, request, check):
        """The write step: the checked file goes to an import job in the background."""
        if not check.dry_run:
            raise Http404
        if check.created_by_id != request.user.pk:
            raise PermissionDenied  # a manager may watch another's check, not confirm it
        try:
            job = import_job_confirm(user=request.user, check_id=check.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(self._url("import_job", check.pk))
        return HttpResponseRedirect(self._url("import_job", job.pk))


def _form_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.error_dict.items():
        field = name if name in form.fields else None
        form.add_error(field, [m for e in errors for m in e.messages])
