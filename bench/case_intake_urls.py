"""URLs of the intake benchmark's server: every product URL, and two baselines beside them.

* ``POST /bench/noop``: authenticates the bearer token the same way the API does, parses the
  same JSON body, writes nothing, answers 201 — the floor of any POST through this server.
* ``POST /bench/plain``: the same, then writes the same rows a product intake writes (the case,
  its history rows, its outbox and task rows), with plain SQL in one transaction, copying the
  columns it does not set from template rows of a case the product made (``/bench/setup``):
  no validation, no locate, no routing, no ORM — the cost of the writes themselves.
"""

from __future__ import annotations

import json
import secrets
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from yemai.accounts.tokens import token_user
from yemai.urls import urlpatterns as product_urlpatterns

TEMPLATES_FILE = Path(settings.DATA_DIR) / "bench-templates.json"
# table → list of template row ids (one entry per row the product writes per case)
_templates: dict[str, list[int]] = {}
_columns: dict[str, list[str]] = {}
_lock = threading.Lock()
OVERRIDES = {
    "cases_case": {
        "number",
        "tracking_code",
        "idempotency_key",
        "description",
        "lon",
        "lat",
        "reported_at",
        "registered_at",
        "dispatched_at",
        "updated_at",
        "rating_token_hash",
    },  # fmt: skip
}


def _user(request):
    header = request.headers.get("Authorization") or ""
    if not header.lower().startswith("bearer "):
        return None
    return token_user(header[7:].strip())


def _body(request):
    try:
        return json.loads(request.body)
    except ValueError:
        return None


@csrf_exempt
def noop(request):
    if request.method != "POST":
        return JsonResponse({"detail": "POST"}, status=405)
    if _user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    data = _body(request)
    if not isinstance(data, dict):
        return JsonResponse({"detail": "invalid"}, status=400)
    return JsonResponse({"ok": True}, status=201)


@csrf_exempt
def setup(request):
    """``{"templates": {"cases_case": [id], "cases_caseevent": [ids], "notify_notice": …}}``"""
    if _user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    data = _body(request) or {}
    templates = {t: [int(i) for i in ids] for t, ids in data["templates"].items()}
    # Every server process (yemai serve --workers) reads them from this file on first use.
    TEMPLATES_FILE.write_text(json.dumps(templates))
    _load_templates()
    return JsonResponse({"tables": {t: len(ids) for t, ids in _templates.items()}})


def _load_templates() -> None:
    templates = json.loads(TEMPLATES_FILE.read_text())
    with _lock, connection.cursor() as cursor:
        for table in templates:
            cols = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            _columns[table] = [c for c in cols if c != "id"]
        _templates.clear()
        _templates.update(templates)  # last: a thread that sees templates finds their columns


def _copy(cursor, table: str, template_id: int, values: dict) -> int:
    """INSERT one row: ``values`` for some columns, the template row's for the others."""
    cols = _columns[table]
    select = ", ".join("%s" if c in values else connection.ops.quote_name(c) for c in cols)
    params = [values[c] for c in cols if c in values]
    quoted = ", ".join(connection.ops.quote_name(c) for c in cols)
    cursor.execute(
        f"INSERT INTO {table} ({quoted}) SELECT {select} FROM {table} WHERE id = %s RETURNING id",  # noqa: S608
        [*params, template_id],
    )
    return cursor.fetchone()[0]


@csrf_exempt
def plain(request):
    if _user(request) is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    if not _templates:
        _load_templates()
    data = _body(request)
    if not isinstance(data, dict):
        return JsonResponse({"detail": "invalid"}, status=400)
    now = timezone.now()
    unique = secrets.token_hex(6)
    with transaction.atomic(), connection.cursor() as cursor:
        case_id = _copy(
            cursor,
            "cases_case",
            _templates["cases_case"][0],
            {
                "number": "P" + unique,
                "tracking_code": unique[:12],
                "idempotency_key": None,
                "description": str(data.get("description", ""))[:2000],
                "lon": data.get("lon"),
                "lat": data.get("lat"),
                "reported_at": now,
                "registered_at": now,
                "dispatched_at": now,
                "updated_at": now,
                "rating_token_hash": "",
            },
        )
        for table, ids in _templates.items():
            if table == "cases_case":
                continue
            for template_id in ids:
                values = {}
                for col in _columns[table]:
                    if col == "case_id":
                        values[col] = case_id
                    elif col in {"at", "created_at", "run_at"}:
                        values[col] = now
                    elif col == "dedupe_key":
                        values[col] = None
                _copy(cursor, table, template_id, values)
    return JsonResponse({"id": case_id}, status=201)


urlpatterns = [
    path("bench/noop", noop),
    path("bench/plain", plain),
    path("bench/setup", csrf_exempt(setup)),
    *product_urlpatterns,
]
