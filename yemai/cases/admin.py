"""Admin of the closed loop.

Cases and duty rosters are scoped like everything else (``ScopedModelAdmin``). A case's state
is never edited in a form: it changes only through the workflow (the admin actions below call
``actions.case_act``, which goes through ``workflow.case_transition``); the few fields a
supervisor may correct (category, priority, description, place) are saved through the same
door, as a note in the case's history. Categories and the holiday calendar are the same for
the whole installation (see their docstrings).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yemai.accounts.roles import MANAGE_GRIDS
from yemai.core.admin_base import ScopedModelAdmin
from yemai.core.masking import mask_phone
from yemai.grids.choices import Level
from yemai.grids.models import Department

from . import actions, workflow
from .choices import Action, RejectReason
from .models import Case, CaseEvent, CasePhoto, Category, DutyShift, Holiday
from .selectors import deadline_colour

COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


def is_centre(user) -> bool:
    """The town's grid centre (or a set-up account): may edit installation-wide tables.

    A grid-managing role scoped below the town (a village's system administrator) may not:
    categories and holidays are the same for every village.
    """
    if not user.is_active:
        return False
    if user.is_unrestricted:
        return True
    scope = getattr(user, "scope", None)
    return user.role in MANAGE_GRIDS and scope is not None and scope.level == Level.TOWN


class CentreModelAdmin(admin.ModelAdmin):
    """Installation-wide tables: everyone with a role reads, only the centre edits."""

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and bool(getattr(user, "role", "") or user.is_superuser)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return is_centre(request.user)

    def has_change_permission(self, request, obj=None):
        return is_centre(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_centre(request.user)


@admin.register(Category)
class CategoryAdmin(CentreModelAdmin):
    """Categories of events and components (事件/部件分类).

    Not scoped: one taxonomy for the whole installation, so that cases, metrics and Open311
    service codes mean the same in every village; the centre edits it. The owning department
    is chosen among the departments in the editor's scope.
    """

    list_display = [
        "code",
        "name",
        "parent",
        "kind",
        "department",
        "priority",
        "accept_hours",
        "handle_hours",
        "verify_hours",
        "rating_asked",
        "after_photo_required",
        "enabled",
    ]
    list_filter = ["kind", "enabled", "priority", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "department"]
    ordering = ["sort", "code"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = Department.objects.restrict(request.user)
        elif db_field.name == "parent":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Holiday)
class HolidayAdmin(CentreModelAdmin):
    """The holiday calendar (节假日与调休), read by every step clock.

    Not scoped: the national holidays and make-up working days are the same for the whole
    installation; the centre keeps them.
    """

    list_display = ["date", "name", "is_working_day"]
    list_filter = ["is_working_day"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(DutyShift)
class DutyShiftAdmin(ScopedModelAdmin):
    """The duty roster (值班表) routing reads: who takes new cases on which days."""

    list_display = ["member", "member_grid", "weekdays", "date"]
    list_select_related = ["member__team__grid"]
    search_fields = ["member__name", "member__team__grid__code", "member__team__grid__name"]

    @admin.display(description=_("micro-grid"))
    def member_grid(self, obj):
        return obj.member.team.grid


class ReadOnlyInline(admin.TabularInline):
    """History and photos are written by the workflow and the evidence store only."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active  # the case itself is scoped by its admin

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    verbose_name_plural = _("history")
    fields = ["at", "action", "from_state", "to_state", "actor_label", "note", "lon", "lat"]
    readonly_fields = fields
    ordering = ["at", "id"]


class CasePhotoInline(ReadOnlyInline):
    model = CasePhoto
    fields = ["kind", "preview", "width", "height", "size", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, obj):
        if not obj or not obj.pk:
            return "—"
        url = f"/api/cases/{obj.case_id}/photos/{obj.pk}"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}?variant=thumbnail" '
            'alt="" style="max-height:80px"></a>',
            url,
            url,
        )


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            from django.utils import timezone

            from .choices import OPEN_STATES

            return queryset.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
        return queryset


@admin.register(Case)
class CaseAdmin(ScopedModelAdmin):
    """Cases (案卷) in the viewer's scope. Supervisors may correct the category, priority,
    description and place (recorded in the history); states change through the actions."""

    list_display = [
        "number",
        "category",
        "grid",
        "state",
        "deadline_display",
        "assignee",
        "reported_at",
    ]
    list_filter = ["state", "source", "priority", DeadlineFilter, "category__parent"]
    list_select_related = ["category", "category__parent", "grid", "assignee"]
    search_fields = ["=number", "=tracking_code"]
    search_help_text = _("A case number or a tracking code")
    date_hierarchy = "reported_at"
    inlines = [CaseEventInline, CasePhotoInline]
    editable = ["category", "priority", "description", "address"]
    fields = [
        "number",
        "tracking_code",
        "source",
        "state",
        "category",
        "priority",
        "description",
        "address",
        "lon",
        "lat",
        "grid",
        "reporter",
        "reporter_name",
        "masked_reporter_phone",
        "assignee",
        "department",
        "reject_reason",
        "merged_into",
        "park_reason",
        "rework_count",
        "clock",
        "due_at",
        "deadline_display",
        "escalation_level",
        "reported_at",
        "registered_at",
        "dispatched_at",
        "accepted_at",
        "handled_at",
        "verified_at",
        "closed_at",
    ]
    actions = ["register", "reject_duplicate", "reject_invalid", "supervise"]

    # -- permissions: view for every role in scope, corrections for supervisors, no add/delete

    def _may_edit(self, request) -> bool:
        user = request.user
        return user.is_active and user.role in workflow.SUPERVISORS

    def has_add_permission(self, request):
        return False  # cases come in through intake: API, Open311, hotline import, portal

    def has_delete_permission(self, request, obj=None):
        return False  # a case is a record: it is rejected, withdrawn or closed, never deleted

    def has_workflow_permission(self, request):
        return request.user.is_active and request.user.role in workflow.SUPERVISORS

    def get_readonly_fields(self, request, obj=None):
        return [f for f in self.fields if f not in self.editable]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            kwargs["queryset"] = Category.objects.filter(parent__isnull=False, enabled=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.strip().upper())

    # -- displays

    @admin.display(description=_("reporter's phone"))
    def masked_reporter_phone(self, obj):
        return mask_phone(obj.reporter_phone) if obj and obj.reporter_phone else "—"

    @admin.display(description=_("deadline"))
    def deadline_display(self, obj):
        colour = deadline_colour(obj)
        if not colour:
            return "—"
        labels = {
            "green": gettext("on time"),
            "yellow": gettext("due soon"),
            "red": gettext("overdue"),
        }
        return format_html(
            '<span style="color:{};font-weight:bold">●</span> {}', COLOURS[colour], labels[colour]
        )

    # -- saving: through the one door

    def save_model(self, request, obj, form, change):
        changed = [f for f in form.changed_data if f in self.editable]
        if not changed:
            return
        before = Case.objects.get(pk=obj.pk)
        values = {f: getattr(obj, f) for f in changed}
        data = {f: [str(getattr(before, f)), str(values[f])] for f in changed}
        note = gettext("Corrected: %(fields)s") % {
            "fields": ", ".join(str(Case._meta.get_field(f).verbose_name) for f in changed)
        }
        outcome = workflow.case_transition(
            case=before,
            action=Action.COMMENT,
            actor=request.user,
            note=note,
            data={"corrected": data},
            **values,
        )
        obj.__dict__.update({k: v for k, v in outcome.case.__dict__.items() if k != "_state"})

    # -- actions: every state change goes through the workflow

    def _act(self, request, queryset, action: str, **params) -> None:
        done, refused = 0, []
        for case in queryset:
            try:
                actions.case_act(case=case, action=action, actor=request.user, **params)
                done += 1
            except (ValidationError, PermissionDenied, Http404) as exc:
                reason = "; ".join(getattr(exc, "messages", [])) or str(exc) or gettext("refused")
                refused.append(f"{case.number}: {reason}")
        if done:
            self.message_user(
                request,
                gettext("%(action)s: %(n)s case(s)") % {"action": Action(action).label, "n": done},
                messages.SUCCESS,
            )
        for line in refused[:20]:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Register (立案)"), permissions=["workflow"])
    def register(self, request, queryset):
        self._act(request, queryset, Action.REGISTER)

    @admin.action(description=_("Reject as a duplicate (不予立案：重复)"), permissions=["workflow"])
    def reject_duplicate(self, request, queryset):
        self._act(request, queryset, Action.REJECT, reason=RejectReason.DUPLICATE)

    @admin.action(description=_("Reject as not valid (不予立案：无效)"), permissions=["workflow"])
    def reject_invalid(self, request, queryset):
        self._act(request, queryset, Action.REJECT, reason=RejectReason.INVALID)

    @admin.action(description=_("Supervise overdue work (督办)"), permissions=["workflow"])
    def supervise(self, request, queryset):
        self._act(request, queryset, Action.SUPERVISE)
