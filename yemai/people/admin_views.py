"""Admin pages beyond the model forms: Excel import (upload → report → confirm), Excel
export, and the audited "show whole" view of personal data.

An uploaded file waits for confirmation encrypted on disk (it holds ID numbers), bound to the
user who uploaded it through the session, and is deleted when confirmed or after an hour.
"""

from __future__ import annotations

import base64
import io
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from yemai.core import crypto

from .admin_forms import ImportForm
from .exporters import export_xlsx
from .importers import import_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PENDING_SECONDS = 3600
_CONTEXT = "people.admin.import"


def _pending_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "pending-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - PENDING_SECONDS
    for stale in folder.glob("*.bin"):
        if stale.stat().st_mtime < cutoff:
            stale.unlink(missing_ok=True)


def stash_upload(request, kind: str, data: bytes, filename: str) -> str:
    folder = _pending_dir()
    _sweep(folder)
    token = secrets.token_urlsafe(16)
    sealed = crypto.encrypt(base64.b64encode(data).decode(), context=_CONTEXT)
    (folder / f"{token}.bin").write_text(sealed)
    request.session[f"people-import-{token}"] = {"kind": kind, "filename": filename}
    return token


def unstash_upload(request, kind: str, token: str, *, remove: bool) -> tuple[bytes, str]:
    meta = request.session.get(f"people-import-{token}")
    target = _pending_dir() / f"{token}.bin"
    if not meta or meta.get("kind") != kind or not target.exists():
        raise Http404
    data = base64.b64decode(crypto.decrypt(target.read_text(), context=_CONTEXT))
    if remove:
        target.unlink(missing_ok=True)
        request.session.pop(f"people-import-{token}", None)
    return data, meta.get("filename", "")


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
        if not getattr(request.user, "can_manage_people", False):
            raise PermissionDenied
        kind = self.ledger_kind
        title = _("Import %(ledger)s from Excel") % {"ledger": self.opts.verbose_name_plural}
        if request.method == "POST" and request.POST.get("token"):
            return self._import_confirm(request, title)
        form = ImportForm(request.POST or None, request.FILES or None)
        report = token = None
        options = {"skip_bad_rows": False, "key": ""}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            options = {
                "skip_bad_rows": form.cleaned_data["skip_bad_rows"],
                "key": form.cleaned_data["key"],
            }
            try:
                report = import_xlsx(
                    kind=kind,
                    file=io.BytesIO(data),
                    user=request.user,
                    dry_run=True,
                    filename=upload.name,
                    **options,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                if report.ok or options["skip_bad_rows"]:
                    token = stash_upload(request, kind, data, upload.name)
        return self._page(
            request,
            "admin/people/import.html",
            title=title,
            form=form,
            report=report,
            token=token,
            **options,
        )

    def _import_confirm(self, request, title):
        data, filename = unstash_upload(
            request, self.ledger_kind, request.POST["token"], remove=True
        )
        report = import_xlsx(
            kind=self.ledger_kind,
            file=io.BytesIO(data),
            user=request.user,
            skip_bad_rows=request.POST.get("skip_bad_rows") == "1",
            key=request.POST.get("key", ""),
            filename=filename,
        )
        if report.applied:
            messages.success(
                request,
                _(
                    "Imported: %(created)s created, %(updated)s updated, %(skipped)s bad rows skipped."
                )
                % {"created": report.created, "updated": report.updated, "skipped": report.skipped},
            )
            return HttpResponseRedirect(self._url("changelist"))
        return self._page(
            request, "admin/people/import.html", title=title, form=ImportForm(), report=report
        )
