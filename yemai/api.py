"""The JSON API (Django Ninja): one NinjaAPI, one router per domain, OpenAPI at /api/docs."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from yemai.accounts.tokens import TokenAuth
from yemai.api_links import add_links
from yemai.cases.api import router as cases_router
from yemai.cases.public import router as public_router
from yemai.duty.api import router as duty_router
from yemai.grids.api import router as grids_router
from yemai.ledgers.api import router as ledgers_router
from yemai.notify.api import router as notify_router
from yemai.people.api import router as people_router
from yemai.vision.api import router as vision_router


class YemaiAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        # With the links from one answer to the next request (Ninja has no place for them).
        return add_links(super().get_openapi_schema(*args, **kwargs))


api = YemaiAPI(
    title="Yemai API",
    version="1",
    description="Grid governance: grids, people, cases. Every answer is limited to your scope.",
    # A bearer token (staff apps, machine clients) or the session. The token comes first:
    # django_auth checks CSRF before it looks at the session, which would refuse a token
    # client's POST; a request without a bearer header falls through to the session.
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)


def _messages(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for m in errs[0].messages]
            if hasattr(errs[0], "messages")
            else [str(e) for e in errs]
            for field, errs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(request, {"detail": "invalid", "errors": _messages(exc)}, status=400)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", []) if p not in {"body", "payload"}),
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": "invalid", "errors": errors}, status=400)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": "not signed in"}, status=401)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_value_the_database_refuses(request, exc):
    # Bad input the database itself refuses, not a server fault: an id or count beyond what it
    # stores (SQLite raises OverflowError before the query, PostgreSQL a DataError), or a NUL
    # character in text (PostgreSQL), where a service did not check it first.
    text = str(exc)
    if isinstance(exc, OverflowError) or "out of range" in text:
        message = _("A number is out of range")
    elif "NUL" in text:
        message = _("Text may not contain NUL (0x00) characters")
    else:
        return on_unexpected(request, exc)
    return api.create_response(
        request, {"detail": "invalid", "errors": {"__all__": [message]}}, status=400
    )


@api.exception_handler(OperationalError)
def on_database_busy(request, exc):
    # SQLite under a burst of writes: "database is locked" after the busy timeout. The request
    # changed nothing (its transaction rolled back): say so, and when to try again.
    if "locked" in str(exc) or "busy" in str(exc):
        response = api.create_response(
            request, {"detail": "busy: nothing was saved, try again in a moment"}, status=503
        )
        response["Retry-After"] = "2"
        return response
    return on_unexpected(request, exc)


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    # Never a traceback to a client; the log keeps it for the operator.
    import logging

    logging.getLogger("yemai.api").exception("unhandled error in %s", request.path)
    return api.create_response(request, {"detail": "internal error"}, status=500)


api.add_router("/grids", grids_router)
api.add_router("/people", people_router)
api.add_router("/cases", cases_router)
api.add_router("/public", public_router)
api.add_router("/vision", vision_router)
api.add_router("/ledgers", ledgers_router)
api.add_router("/notify", notify_router)
api.add_router("/duty", duty_router)
