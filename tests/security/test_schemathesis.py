"""Schemathesis over the OpenAPI schema: every operation, generated requests, authenticated as
a centre operator by token; no 5xx and every answer as the schema says."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance


@pytest.fixture
def api_schema(db):
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # As Django's test client does: a request must not close the connection that holds the
    # test's transaction (on PostgreSQL it would, at the end of every call).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.from_wsgi(
            "/api/openapi.json", get_wsgi_application(), force_schema_version="30"
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.from_pytest_fixture("api_schema")

SCHEMA_CHECKS = (not_a_server_error, response_schema_conformance)


@pytest.fixture
def operator_token(town):
    from yemai.accounts.tokens import token_create

    _, raw = token_create(user=town.operator, name="schemathesis")
    return raw


@schema.parametrize()
@hypothesis_settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_has_no_server_errors_and_keeps_its_schema(case, operator_token, settings):
    settings.RATE_LIMITS = ""  # the fuzzer is one address: the limits are tested elsewhere
    response = case.call_wsgi(headers={"Authorization": f"Bearer {operator_token}"})
    case.validate_response(response, checks=SCHEMA_CHECKS)
