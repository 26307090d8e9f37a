"""Pages: camera status (with workers), the zone editor, the review queue (人工审核)."""

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .choices import ZoneKind


@login_required
def status_page(request):
    cameras = list(selectors.camera_list(user=request.user)[:500])
    for c in cameras:
        c.live_status = selectors.camera_status(c)
    workers = (
        selectors.worker_list()
        if (services.may_manage(request.user) or services.may_review(request.user))
        else []
    )
    return render(request, "vision/status.html", {"cameras": cameras, "workers": workers})


@login_required
def zone_editor(request, camera_id: int):
    camera = selectors.camera_get(user=request.user, pk=camera_id)
    return render(
        request,
        "vision/zones.html",
        {
            "camera": camera,
            "may_manage": services.may_manage(request.user),
            "kinds": ZoneKind.choices,
        },
    )


@login_required
def review_page(request):
    if not services.may_review(request.user):
        raise PermissionDenied
    return render(
        request,
        "vision/review.html",
        {"alarms": selectors.alarm_review_queue(user=request.user)[:100]},
    )


@login_required
@require_POST
def review_action(request, alarm_id: int):
    alarm = selectors.alarm_get(user=request.user, pk=alarm_id)
    # Already reviewed by someone else: the queue shows what is left.
    with contextlib.suppress(ValidationError):
        services.alarm_review(
            user=request.user, alarm=alarm, approve=request.POST.get("decision") == "approve"
        )
    return redirect("vision:review")
