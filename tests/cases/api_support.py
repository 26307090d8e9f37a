"""Helpers shared by the cases API tests (test_api*.py, test_open311.py, test_admin.py)."""

from __future__ import annotations

import io
import json

from PIL import Image

from yemai.cases.choices import Source
from yemai.cases.services import case_report

from .conftest import IN_DONGMEN1, IN_XIMEN1, OUTSIDE

__all__ = ["IN_DONGMEN1", "IN_XIMEN1", "OUTSIDE", "report", "post_json", "png"]


def report(t, where=IN_DONGMEN1, category=None, **kw):
    """A resident's report (auto-dispatched inside a micro-grid)."""
    fields = {
        "source": Source.RESIDENT,
        "category": category or t.stall,
        "description": "门口摆摊",
        "reporter_name": "居民甲",
        "reporter_phone": "13800138000",
        **where,
        **kw,
    }
    case, _ = case_report(**fields)
    return case


def post_json(client, url, body=None, **extra):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **extra)


def png(colour=(10, 120, 40), size=(16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()
