"""The request being served, for code far from the view (audit records need its address)."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def client_ip(request) -> str:
    # Behind nginx the real address arrives in X-Forwarded-For; the operator guide says to
    # configure nginx to overwrite, not append, that header.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")
