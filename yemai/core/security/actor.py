"""Who is acting in the request being served (for audit records written in model signals)."""

from contextvars import ContextVar

current_user: ContextVar = ContextVar("yemai_current_user", default=None)
