"""API schemas of the closed loop. Out-schemas carry masked personal data only (the reporter's
phone as 138****5678); the whole number leaves the server through ``reveal`` alone (audited)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class CaseFilter(Schema):
    state: str = ""  # a state, a comma list, or "open" / "final"
    category: str = ""  # subcategory code, or main category code (with its subcategories)
    source: str = ""
    grid: str = ""  # grid code: that grid and everything under it
    assignee: str = ""  # user id, "me" or "none"
    period: str = ""  # today | week | month | YYYY-MM | YYYY-MM-DD | YYYY-MM-DD..YYYY-MM-DD
    q: str = ""  # case number, tracking code, or words of the description or place
    overdue: bool = False


class CaseIn(Schema):
    """A report. ``source`` defaults to the role's (patrol for grid staff, staff for the
    centre); only the centre and machine clients may name another (camera, hotline …)."""

    category: str = Field(..., max_length=20, description="subcategory code, e.g. 0203")
    description: str = Field(..., max_length=2000)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", max_length=8, description="wgs84, gcj02 or bd09")
    address: str = Field("", max_length=200)
    source: str = Field("", max_length=12)
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=20)


class ActionIn(Schema):
    note: str = Field("", max_length=2000)
    lon: float | None = None
    lat: float | None = None
    crs: str = Field("wgs84", max_length=8)
    assignee: int | None = Field(None, description="dispatch: the user id of the member")
    department: int | None = Field(None, description="refer: the department id")
    reason: str = Field(
        "", max_length=200, description="reject: invalid | out_of_scope | duplicate; park: text"
    )
    participants: list[int] = Field(
        default_factory=list, description="consult: team member ids of the micro-grid"
    )
    into: int | None = Field(None, description="merge: the id of the case this one repeats")
    hours: float | None = Field(None, description="extension: extra working hours")
    score: int | None = Field(None, description="follow_up: satisfaction 1–5")
    fixed: str = Field("", max_length=8, description="follow_up: yes | no | unknown")


class Named(Schema):
    id: int
    name: str


class CaseFields(Schema):
    """The fields of a case in a list; ``CaseOut`` reads them from a Case row."""

    id: int
    number: str
    state: str
    state_label: str
    source: str
    category: str
    category_name: str
    main_category: str
    priority: int
    description: str
    address: str
    lon: float | None
    lat: float | None
    grid: str
    grid_name: str
    assignee: Named | None
    department: Named | None
    reported_at: dt.datetime
    due_at: dt.datetime | None
    deadline: str  # green / yellow / red, "" when no clock runs
    escalation_level: int
    updated_at: dt.datetime


class CaseOut(CaseFields):
    @staticmethod
    def resolve_state_label(obj):
        from .choices import State

        # Not get_state_display(): that hashes the whole choices list on every call.
        return str(State(obj.state).label)

    @staticmethod
    def resolve_category(obj):
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj):
        return obj.category.name

    @staticmethod
    def resolve_main_category(obj):
        return obj.category.parent.name if obj.category.parent_id else ""

    @staticmethod
    def resolve_grid(obj):
        return obj.grid.code

    @staticmethod
    def resolve_grid_name(obj):
        return obj.grid.name

    @staticmethod
    def resolve_assignee(obj):
        if not obj.assignee_id:
            return None
        return {"id": obj.assignee_id, "name": str(obj.assignee)}

    @staticmethod
    def resolve_department(obj):
        if not obj.department_id:
            return None
        return {"id": obj.department_id, "name": obj.department.name}

    @staticmethod
    def resolve_deadline(obj):
        from .selectors import deadline_colour

        return deadline_colour(obj)


class PhotoOut(Schema):
    id: int
    kind: str
    event: int | None
    content_type: str
    width: int
    height: int
    size: int
    url: str  # the public copy: no EXIF, no GPS
    thumbnail_url: str
    original_url: str  # as taken (may hold GPS): roles that may see personal data, audited
    uploaded_at: dt.datetime


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    from_state: str
    to_state: str
    actor: str  # the actor's label: a person, "System", "Automatic routing", the reporter
    actor_id: int | None
    at: dt.datetime
    note: str
    lon: float | None
    lat: float | None
    data: dict
    photos: list[int]


class CaseDetailOut(CaseFields):
    tracking_code: str
    reporter: str
    reporter_name: str
    reporter_phone: str  # masked
    reject_reason: str
    park_reason: str
    merged_into: str | None
    rework_count: int
    clock: str
    warn_at: dt.datetime | None
    registered_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    handled_at: dt.datetime | None
    verified_at: dt.datetime | None
    closed_at: dt.datetime | None
    events: list[EventOut]
    photos: list[PhotoOut]
    allowed_actions: list[str]


class MyCasesOut(Schema):
    to_accept: list[CaseOut]
    in_progress: list[CaseOut]
    overdue: list[CaseOut]
    escalated: list[CaseOut]
    to_verify: list[CaseOut]


class CategoryOut(Schema):
    code: str
    name: str
    kind: str
    department: Named | None
    priority: int
    accept_hours: float
    handle_hours: float
    verify_hours: float
    rating_asked: bool
    after_photo_required: bool


class CategoryTreeOut(Schema):
    code: str
    name: str
    kind: str
    children: list[CategoryOut]


class AssigneeOut(Schema):
    id: int
    name: str
    grid: str
    on_duty: bool
    open_cases: int


class PhoneOut(Schema):
    id: int
    number: str
    reporter_name: str
    reporter_phone: str
