"""OpenAPI links: how one answer of the API leads to the next request (create a case, then
read it, act on it, add a photo …).

Django Ninja does not emit links, so they are added to the generated schema here. A client
author reads them as "the ``id`` of this answer is the ``case_id`` of that request"; the
stateful API tests (tests/security/test_schemathesis.py) follow them to chain real requests.
Each link names its target by ``operationId`` and says where each path parameter comes from,
as an OpenAPI runtime expression.
"""

from __future__ import annotations

ID = "$response.body#/id"

# (method, path of the source) → [(method, path of the target, {parameter: expression})]
LINKS: dict[tuple[str, str], list[tuple[str, str, dict[str, str]]]] = {}


def _link(source: tuple[str, str], *targets: tuple[str, str, dict[str, str]]) -> None:
    LINKS.setdefault(source, []).extend(targets)


def _crud(
    base: str, key: str, *, patch: bool = True, delete: bool = True, reveal: str = ""
) -> None:
    """POST ``base`` makes a row; its id is ``key`` of ``base/{key}`` (read, change, delete)."""
    one = f"{base}/{{{key}}}"
    targets = [("get", one, {key: ID})]
    if patch:
        targets.append(("patch", one, {key: ID}))
    if delete:
        targets.append(("delete", one, {key: ID}))
    if reveal:
        targets.append((reveal, f"{one}/reveal", {key: ID}))
    _link(("post", base), *targets)
    if patch:
        _link(("patch", one), ("get", one, {key: ID}))


# --- grids ---
_link(
    ("get", "/api/grids/"), ("get", "/api/grids/nodes/{code}", {"code": "$response.body#/0/code"})
)
_link(
    ("get", "/api/grids/teams"),
    ("get", "/api/grids/teams/{team_id}", {"team_id": "$response.body#/0/id"}),
    ("post", "/api/grids/teams/{team_id}/members", {"team_id": "$response.body#/0/id"}),
)
_link(
    ("post", "/api/grids/teams/{team_id}/members"),
    ("post", "/api/grids/team-members/{member_id}/reveal", {"member_id": ID}),
    ("get", "/api/grids/teams/{team_id}", {"team_id": "$request.path.team_id"}),
)
_crud("/api/grids/service-points", "point_id", patch=False, delete=False)
_crud("/api/grids/departments", "department_id", patch=False, delete=False)

# --- people ---
_crud("/api/people/residents", "resident_id", reveal="get")
_crud("/api/people/houses", "house_id", reveal="get")
_crud("/api/people/households", "household_id")
_crud("/api/people/organisations", "organisation_id", reveal="get")

# --- cases: the closed loop, each answer offering the actions the case allows now ---
_CASE = "/api/cases/{case_id}"
_ACT = f"{_CASE}/actions/{{action}}"


def _case_steps(case_id: str = ID) -> list[tuple[str, str, dict[str, str]]]:
    steps = [
        ("get", _CASE, {"case_id": case_id}),
        ("get", f"{_CASE}/assignees", {"case_id": case_id}),
        ("post", f"{_CASE}/reveal", {"case_id": case_id}),
        ("post", f"{_CASE}/photos", {"case_id": case_id}),
        ("get", "/api/cases/number/{number}", {"number": "$response.body#/number"}),
    ]
    steps += [
        ("post", _ACT, {"case_id": case_id, "action": f"$response.body#/allowed_actions/{n}"})
        for n in range(3)
    ]
    return steps


_link(("post", "/api/cases"), *_case_steps())
_link(("get", _CASE), *_case_steps())
_link(("post", _ACT), *_case_steps())
_link(("get", "/api/cases"), ("get", _CASE, {"case_id": "$response.body#/items/0/id"}))
_link(
    ("post", f"{_CASE}/photos"),
    ("get", f"{_CASE}/photos/{{photo_id}}", {"case_id": "$request.path.case_id", "photo_id": ID}),
)

# --- the residents' side: report, follow, rate ---
_link(
    ("post", "/api/public/cases"),
    ("get", "/api/public/cases/{code}", {"code": "$response.body#/tracking_code"}),
    ("post", "/api/public/cases/{code}/rating", {"code": "$response.body#/tracking_code"}),
    ("get", "/api/cases/number/{number}", {"number": "$response.body#/number"}),
)

# --- vision: cameras, their zones ---
_crud("/api/vision/cameras", "camera_id", delete=False)
_link(
    ("post", "/api/vision/cameras"),
    ("get", "/api/vision/cameras/{camera_id}/snapshot", {"camera_id": ID}),
    ("get", "/api/vision/cameras/{camera_id}/zones", {"camera_id": ID}),
    ("post", "/api/vision/cameras/{camera_id}/zones", {"camera_id": ID}),
)
_link(
    ("post", "/api/vision/cameras/{camera_id}/zones"),
    ("put", "/api/vision/zones/{zone_id}", {"zone_id": ID}),
    ("delete", "/api/vision/zones/{zone_id}", {"zone_id": ID}),
    ("get", "/api/vision/cameras/{camera_id}/zones", {"camera_id": "$request.path.camera_id"}),
)
_link(
    ("get", "/api/vision/alarms"),
    ("post", "/api/vision/alarms/{alarm_id}/review", {"alarm_id": "$response.body#/0/id"}),
)

# --- ledgers: any kind, its rows ---
_ROW = {"kind": "$request.path.kind", "row_id": ID}
_link(
    ("post", "/api/ledgers/{kind}"),
    ("get", "/api/ledgers/{kind}/{row_id}", _ROW),
    ("patch", "/api/ledgers/{kind}/{row_id}", _ROW),
    ("delete", "/api/ledgers/{kind}/{row_id}", _ROW),
    ("post", "/api/ledgers/{kind}/{row_id}/reveal", _ROW),
)
_link(("patch", "/api/ledgers/{kind}/{row_id}"), ("get", "/api/ledgers/{kind}/{row_id}", _ROW))

# --- duty: patrols, check-ins, grants ---
_PATROL = {"patrol_id": ID}
_link(
    ("post", "/api/duty/patrols"),
    ("get", "/api/duty/patrols/{patrol_id}", _PATROL),
    ("post", "/api/duty/patrols/{patrol_id}/points", _PATROL),
    ("post", "/api/duty/patrols/{patrol_id}/end", _PATROL),
)
_link(
    ("post", "/api/duty/checkins"),
    ("get", "/api/duty/checkins/{checkin_id}", {"checkin_id": ID}),
    ("get", "/api/duty/checkins/{checkin_id}/photo", {"checkin_id": ID}),
    ("post", "/api/duty/checkins/{checkin_id}/review", {"checkin_id": ID}),
)
_link(
    ("post", "/api/duty/grants"),
    ("delete", "/api/duty/grants/{user_id}", {"user_id": "$response.body#/user_id"}),
)


def _link_name(method: str, path: str) -> str:
    words = [w.strip("{}") for w in path.removeprefix("/api/").split("/") if w]
    return "".join(w.title().replace("-", "").replace("_", "") for w in [method, *words])


def add_links(schema: dict) -> dict:
    """Put ``links`` into every success answer of each source operation of ``LINKS``."""
    paths = schema.get("paths", {})
    for (method, path), targets in LINKS.items():
        source = paths.get(path, {}).get(method)
        if source is None:
            raise KeyError(f"OpenAPI links: no operation {method.upper()} {path}")
        links = {}
        for t_method, t_path, parameters in targets:
            target = paths.get(t_path, {}).get(t_method)
            if target is None:
                raise KeyError(f"OpenAPI links: no operation {t_method.upper()} {t_path}")
            name = _link_name(t_method, t_path)
            if "allowed_actions" in parameters.get("action", ""):
                name += parameters["action"].rsplit("/", 1)[-1]  # first, second … allowed
            links[name] = {"operationId": target["operationId"], "parameters": dict(parameters)}
        for status, answer in source["responses"].items():
            if str(status).startswith("2"):
                answer.setdefault("links", {}).update(links)
    return schema
