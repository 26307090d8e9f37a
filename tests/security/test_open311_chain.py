"""Open311 (GeoReport v2) is not in the OpenAPI document, so schemathesis cannot walk it: the
same idea by hand. Generated service requests, good and bad; each answer is never a 5xx, a
refusal is GeoReport's error list, and a created request is then found by its id and token."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

BASE = "/open311/v2"

# Text as a phone app (or an attacker) may send it: Chinese, markup, control characters.
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
NUMBER = st.one_of(
    st.floats(min_value=-200, max_value=200).map(str),
    st.sampled_from(["30.21", "121.21", "", "north", "1e400", "nan", "-inf"]),
    TEXT,
)
# A request an app would send (in 东门 micro-grid 1), with generated free text.
VALID = st.fixed_dictionaries(
    {"service_code": st.just("0203"), "lat": st.just("30.21"), "long": st.just("121.21")},
    optional={"description": TEXT, "first_name": TEXT, "phone": st.just("13812345678")},
)
ANY = st.fixed_dictionaries(
    {"service_code": st.sampled_from(["0203", "0201", "9999", "", "0203'--"])},
    optional={
        "lat": st.one_of(st.just("30.21"), NUMBER),
        "long": st.one_of(st.just("121.21"), NUMBER),
        "address_string": TEXT,
        "description": TEXT,
        "first_name": TEXT,
        "last_name": TEXT,
        "phone": st.one_of(st.just("13812345678"), TEXT),
        "email": st.one_of(st.just("a@example.com"), TEXT),
        "media_url": st.one_of(st.just("https://photos.example.com/1.jpg"), TEXT),
        "device_id": TEXT,
        "jurisdiction_id": st.sampled_from(["yemai", "boston"]),
    },
)
FIELDS = st.one_of(VALID, ANY)


@pytest.fixture
def app_key(town):
    from yemai.accounts.tokens import token_create
    from yemai.cases.services import category_link_departments

    category_link_departments(town=town.town)
    _, token = token_create(user=town.operator, name="resident app (Open311)")
    return token


@pytest.fixture
def keep_connection():
    # As in test_schemathesis: requests must not close the connection holding the test's
    # transaction (PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_generated_service_requests_are_answered_and_followed(
    town, app_key, keep_connection, settings
):
    settings.RATE_LIMITS = ""  # one address sends them all
    client = Client(REMOTE_ADDR="198.51.100.31")
    made = []

    @hypothesis_settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(fields=FIELDS, fmt=st.sampled_from(["json", "xml"]))
    def post_then_follow(fields, fmt):
        savepoint = transaction.savepoint()
        try:
            response = client.post(f"{BASE}/requests.{fmt}", {"api_key": app_key, **fields})
            assert response.status_code < 500, (fields, response.content[:300])
            if response.status_code != 200:
                if fmt == "json":
                    (error,) = response.json()
                    assert error["code"] == response.status_code and error["description"]
                else:
                    assert b"<errors>" in response.content
                return
            if fmt == "xml":
                return
            (created,) = response.json()
            made.append(created)
            number = created.get("service_request_id")
            token = created.get("token")
            assert number or token, created
            if number:
                one = client.get(f"{BASE}/requests/{number}.json")
                assert one.status_code == 200, one.content[:300]
                (found,) = one.json()
                assert found["service_request_id"] == number
                assert found["service_code"] == fields["service_code"]
            if token:
                by_token = client.get(f"{BASE}/tokens/{token}.json")
                assert by_token.status_code == 200, by_token.content[:300]
        finally:
            transaction.savepoint_rollback(savepoint)

    post_then_follow()
    assert made, "no generated request was accepted: the chain was never followed"
