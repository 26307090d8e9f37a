"""Values the database refuses are bad input (400 naming the problem), never a 500: found by
the stateful schemathesis run (tests/security/test_schemathesis.py)."""

from __future__ import annotations

import json

import pytest

HUGE = "2475801880815994409058304"  # beyond a 64-bit integer


@pytest.mark.parametrize(
    "url", [f"/api/vision/alarms?camera={HUGE}", f"/api/cases?assignee={HUGE}"]
)
def test_an_id_beyond_any_row_finds_nothing_or_is_a_clear_400(town, client, url):
    client.force_login(town.operator)
    response = client.get(url)
    # SQLite cannot even bind the number (400 saying so); PostgreSQL compares it and finds none.
    assert response.status_code in {200, 400}, response.content
    body = response.json()
    if response.status_code == 400:
        assert body["errors"]["__all__"] == ["A number is out of range"]
    else:
        assert body in ([], {"items": [], "count": 0})


def test_a_nul_character_in_text_is_never_a_server_error(town, client):
    client.force_login(town.dongmen1_member)
    response = client.post(
        "/api/duty/patrols",
        data=json.dumps({"client_key": "phone\x00one"}),
        content_type="application/json",
    )
    assert response.status_code < 500, response.content
    if response.status_code == 400:  # PostgreSQL refuses the character
        assert "NUL" in response.json()["errors"]["__all__"][0]
