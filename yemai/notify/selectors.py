"""Reads of the outbox, always inside the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Channel, Notice


def channel_list(*, user, kind: str | None = None) -> QuerySet[Channel]:
    channels = Channel.objects.restrict(user).select_related("grid")
    return channels.filter(kind=kind) if kind else channels


def notice_list(*, user, state: str | None = None) -> QuerySet[Notice]:
    notices = Notice.objects.restrict(user).select_related("channel", "grid", "user")
    return notices.filter(state=state) if state else notices
