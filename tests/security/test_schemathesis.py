"""Schemathesis over the OpenAPI schema, authenticated by token; no 5xx and every answer as the
schema says. First every operation alone (generated requests, as a centre operator); then
statefully: one state machine per family of operations follows the schema's OpenAPI links
(yemai/api_links.py) from an answer to the next request (create a case → read it, act on it,
add a photo; create a person → read, change, delete, read again …).

Debugging a stateful run: YEMAI_STATEFUL_TRACE=1 prints every request and answer,
YEMAI_STATEFUL_SHOW=1 what was reached, YEMAI_STATEFUL_EXAMPLES=50 explores longer.
"""

from __future__ import annotations

import os

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


def test_every_schema_name_in_the_openapi_document_is_one_class():
    """Ninja files each schema under its class name: two apps' ``PhoneOut`` (or ``ImportOut``)
    would share one entry and the document would describe one app's answer with the other's."""
    from collections import defaultdict

    from ninja import Schema

    import yemai.api  # noqa: F401 - every router and its schemas loaded

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    modules = defaultdict(set)
    for cls in subclasses(Schema):
        if cls.__module__.startswith("yemai."):
            modules[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: found for name, found in modules.items() if len(found) > 1} == {}


# --- Stateful: follow the schema's links (yemai/api_links.py) from one answer to the next ---

POINT = {"lon": 121.23, "lat": 30.21}


def _seeds(town):
    """Valid bodies for the requests that start a chain, so that the chains reach real rows
    (random bodies are nearly always refused: a grid code, a category must exist). Each call
    gives fresh unique values."""
    import io
    from itertools import count

    from django.utils import timezone

    from tests.factories import make_id_number
    from tests.test_scope_attacks import tiny_png

    n = count(1)
    d1 = town.dongmen1.code

    def png():  # an upload as werkzeug takes it: (file, name, type), a fresh file each time
        return (io.BytesIO(tiny_png()), "p.png", "image/png")

    zone = {
        "name": "人行道", "kind": "no_parking", "polygon": [[10, 150], [200, 150], [200, 235]],
        "image_width": 320, "image_height": 240, "dwell_s": 15, "cooldown_s": 600,
    }  # fmt: skip
    report = {"category": "0203", "description": "楼道堆物", **POINT}
    return {
        ("POST", "/api/cases"): lambda: ({}, report),
        ("POST", "/api/public/cases"): lambda: ({}, {**report, "phone": "13812340000"}),
        ("POST", "/api/people/residents"): lambda: (
            {},
            {"name": "测试", "id_number": make_id_number(900 + next(n)), "grid": d1,
             "phone": "13912340000"},
        ),
        ("POST", "/api/people/houses"): lambda: (
            {}, {"code": f"H{next(n)}", "address": "东门路1号", **POINT},
        ),
        ("POST", "/api/people/households"): lambda: ({}, {"number": f"HH{next(n)}", "grid": d1}),
        ("POST", "/api/people/organisations"): lambda: (
            {}, {"name": f"商店{next(n)}", "kind": "shop", **POINT},
        ),
        ("POST", "/api/grids/service-points"): lambda: (
            {}, {"grid": town.dongmen.code, "name": f"服务点{next(n)}", "lon": 121.21, "lat": 30.21},
        ),
        ("POST", "/api/grids/departments"): lambda: (
            {}, {"grid": town.town.code, "code": f"D{next(n)}", "name": "部门"},
        ),
        ("POST", "/api/vision/cameras"): lambda: (
            {}, {"code": f"CAM{next(n)}", "name": "路口", **POINT},
        ),
        ("POST", "/api/ledgers/{kind}"): lambda: (
            {"kind": "volunteer-teams"}, {"grid": d1, "name": f"志愿队{next(n)}"},
        ),
        # Steps reached through a link: the link gives the path, the seed the body.
        ("POST", "/api/cases/{case_id}/photos"): lambda: ({}, {"file": png(), "kind": "report"}),
        ("POST", "/api/grids/teams/{team_id}/members"): lambda: ({}, {"name": f"队员{next(n)}"}),
        ("POST", "/api/vision/cameras/{camera_id}/zones"): lambda: ({}, zone),
        ("PUT", "/api/vision/zones/{zone_id}"): lambda: ({}, {**zone, "dwell_s": 900}),
        ("POST", "/api/duty/checkins"): lambda: ({}, {"photo": png(), **POINT}),
        ("POST", "/api/duty/patrols/{patrol_id}/points"): lambda: (
            {}, {"points": [{**POINT, "recorded_at": timezone.now().isoformat()}]},
        ),
    }  # fmt: skip


# Sources whose links win when two sources lead to the same target with the same status.
FIRST_SOURCES = ["/api/cases/{case_id}/actions/{action}", "/api/cases"]


def _one_source_per_target(raw: dict) -> None:
    """Keep one link per (target, status): schemathesis 3 names a state-machine rule after its
    target and status, so a second source would silently replace the first one's rule and
    leave its answers with no rule to follow (the machine then stops with InvalidDefinition).
    The full set of links stays in the served schema, for client authors."""
    paths = raw["paths"]
    order = FIRST_SOURCES + [p for p in paths if p not in FIRST_SOURCES]
    taken = set()
    for path in order:
        for operation in paths[path].values():
            for status, answer in operation.get("responses", {}).items():
                links = answer.get("links", {})
                for name, link in list(links.items()):
                    key = (link["operationId"], str(status))
                    if key in taken:
                        del links[name]
                    taken.add(key)


@pytest.fixture
def member_token(town):
    from yemai.accounts.tokens import token_create

    _, raw = token_create(user=town.dongmen1_member, name="schemathesis")
    return raw


# One state machine per family of chains: with every root in one machine, hypothesis keeps
# starting from a few of them and some chains are never walked.
FAMILIES = {
    "cases": ("/api/cases", "/api/public/"),
    "people": ("/api/people/",),
    "grids": ("/api/grids/",),
    "vision": ("/api/vision/",),
    "ledgers": ("/api/ledgers/",),
    "duty": ("/api/duty/",),
}
# What each family must at least have reached: a row made, then read through a link. (What
# else a run reaches depends on hypothesis' choices: YEMAI_STATEFUL_SHOW=1 prints it.)
REACHED = {
    "cases": [("POST", "/api/cases"), ("GET", "/api/cases/{case_id}"),
              ("POST", "/api/cases/{case_id}/actions/{action}"), ("POST", "/api/public/cases")],
    "people": [("POST", "/api/people/residents"), ("GET", "/api/people/residents/{resident_id}")],
    "grids": [("GET", "/api/grids/nodes/{code}"), ("GET", "/api/grids/teams/{team_id}")],
    "vision": [("POST", "/api/vision/cameras"), ("GET", "/api/vision/cameras/{camera_id}")],
    "ledgers": [("POST", "/api/ledgers/{kind}"), ("GET", "/api/ledgers/{kind}/{row_id}")],
    "duty": [("POST", "/api/duty/patrols"), ("GET", "/api/duty/patrols/{patrol_id}")],
}  # fmt: skip


def _family_schema(raw: dict, prefixes: tuple[str, ...]) -> dict:
    """A copy of the schema whose links start only from the family's operations."""
    import copy

    raw = copy.deepcopy(raw)
    for path, operations in raw["paths"].items():
        if path.startswith(prefixes):
            continue
        for operation in operations.values():
            for answer in operation.get("responses", {}).values():
                answer.pop("links", None)
    _one_source_per_target(raw)
    return raw


@pytest.mark.parametrize("family", list(FAMILIES))
def test_api_chains_have_no_server_errors_and_keep_their_schema(
    family, api_schema, town, operator_token, member_token, settings
):
    """Create a case, read it, take its allowed actions, add a photo; create a person, read,
    change, delete and read again (404); cameras and their zones; a resident's report and its
    tracking page; ledger rows; patrols. Every answer is checked against the schema."""
    from django.core.wsgi import get_wsgi_application
    from django.db import transaction
    from schemathesis.specs.openapi.checks import use_after_free

    settings.RATE_LIMITS = ""
    seen = set()

    family_schema = schemathesis.from_dict(
        _family_schema(api_schema.raw_schema, FAMILIES[family]),
        app=get_wsgi_application(),
        force_schema_version="30",
    )

    class APIWorkflow(family_schema.as_state_machine()):
        def setup(self):
            # Each scenario starts from the same database, so that hypothesis, replaying one,
            # sees the same answers (it refuses data generation that depends on outside state).
            self._savepoint = transaction.savepoint()
            self._seeds = _seeds(town)
            self._starts = 0

        def teardown(self):
            transaction.savepoint_rollback(self._savepoint)

        def step(self, case, previous=None):
            seed = self._seeds.get((case.operation.method.upper(), case.operation.path))
            if seed is not None:
                self._starts += 1
                if self._starts % 4:  # one in four keeps its random body
                    path_parameters, body = seed()
                    if previous is None:
                        case.path_parameters = {**(case.path_parameters or {}), **path_parameters}
                    case.body = body
            return super().step(case, previous)

        def _add_results_to_targets(self, targets, results):
            # schemathesis 3.39 routes an answer to the bundle of its links by overriding
            # `_add_result_to_targets`, a name newer hypothesis no longer calls (it became
            # `_add_results_to_targets`): without this, no link is ever followed.
            for result in results:
                target = None if result is None else self._get_target_for_result(result)
                if target is not None:
                    super()._add_results_to_targets((target,), [result])

        def get_call_kwargs(self, case):
            own = case.operation.path.startswith(("/api/duty/patrols", "/api/duty/checkins"))
            token = member_token if own else operator_token
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def after_call(self, response, case):
            seen.add((case.operation.method.upper(), case.operation.path, response.status_code))
            if os.environ.get("YEMAI_STATEFUL_TRACE"):
                print(
                    "TRACE",
                    case.operation.method.upper(),
                    case.formatted_path,
                    case.query,
                    response.status_code,
                    response.get_data()[:200],
                )

        def validate_response(self, response, case, additional_checks=()):
            case.validate_response(response, checks=(*SCHEMA_CHECKS, use_after_free), headers=None)

    APIWorkflow.run(
        settings=hypothesis_settings(
            max_examples=int(os.environ.get("YEMAI_STATEFUL_EXAMPLES", "12")),
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    # The chains went somewhere: rows were made and then reached through their links.
    if os.environ.get("YEMAI_STATEFUL_SHOW"):
        print("\n".join(f"{m} {p} {status}" for m, p, status in sorted(seen)))
    reached = {(m, p) for m, p, status in seen if status < 300}
    missing = [step for step in REACHED[family] if step not in reached]
    assert not missing, (
        f"never reached: {missing} (a seed in _seeds, or more YEMAI_STATEFUL_EXAMPLES?); "
        f"seen: {sorted(seen)}"
    )
