"""Bad input never gives a 500 or a traceback: every API route, given garbage, answers 4xx
with a message; and nothing is stored."""

import re

import pytest

from tests.test_scope_attacks import _row_counts, api_routes

GARBAGE_BODIES = [
    ("application/json", "{not json"),
    ("application/json", "[]"),
    ("application/json", '{"name": 5, "lon": "east", "lat": null, "grid": ["x"], "tags": 3}'),
    ("application/json", '{"name": "' + "长" * 5000 + '", "id_number": "1" , "lon": 1e999}'),
    ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="file"'),
]


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


@pytest.mark.parametrize("user_attr", ["town_head", "dongmen_head"])
def test_every_route_answers_garbage_with_a_4xx_and_stores_nothing(town, client, user_attr):
    client.force_login(getattr(town, user_attr))
    before = _row_counts()
    problems = []
    for route in sorted(api_routes()):
        method, path = route.split(" ", 1)
        call = getattr(client, method.lower())
        for value in ("x", "999999", "-1", "%20"):
            url = fill(path, value)
            if method in {"POST", "PATCH", "PUT"}:
                for content_type, body in GARBAGE_BODIES:
                    response = call(url, data=body, content_type=content_type)
                    if response.status_code >= 500 or b"Traceback" in response.content:
                        problems.append(f"{route} {value} {body[:20]!r}: {response.status_code}")
                    elif response.status_code < 400 and "{" in path:
                        problems.append(f"{route} {value}: accepted garbage")
            else:
                response = call(url, {"lon": "nan", "lat": "x", "page": "-3", "root": "'"})
                if response.status_code >= 500 or b"Traceback" in response.content:
                    problems.append(f"{route} {value}: {response.status_code}")
    assert problems == []
    assert _row_counts() == before


def test_a_bad_field_is_named_in_the_answer(town, client):
    client.force_login(town.town_head)
    response = client.post(
        "/api/people/residents",
        data={"name": "王五", "id_number": "330282198001010012", "grid": town.dongmen1.code},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "id_number" in response.json()["errors"]
