"""Open311 GeoReport v2 at /open311/v2/.

Driven through a live server by ``georeport`` (PyPI, the maintained GeoReport v2 client: it
reads services, definitions and requests in JSON and XML) and, for what that library does not
do (POST a request, discovery, tokens), by a small client written against the spec below.
``open311`` 1.1 and ``three`` 0.8 on PyPI are Python 2 only and do not import on 3.11.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from yemai.accounts.tokens import token_create
from yemai.cases.choices import Source, State
from yemai.cases.models import Case, Category

from .api_support import IN_DONGMEN1, OUTSIDE, png, report


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


BASE = "/open311/v2"


class SpecClient:
    """The three calls of GeoReport v2 that ``georeport`` lacks, as the spec words them."""

    def __init__(self, root: str, api_key: str | None = None, jurisdiction: str | None = None):
        self.root, self.api_key, self.jurisdiction = root.rstrip("/"), api_key, jurisdiction

    def post_service_request(self, fmt="json", **fields):
        data = {k: v for k, v in fields.items() if v is not None}
        if self.api_key:
            data["api_key"] = self.api_key
        if self.jurisdiction:
            data["jurisdiction_id"] = self.jurisdiction
        return requests.post(f"{self.root}/requests.{fmt}", data=data, timeout=10)

    def discovery(self, fmt="json"):
        return requests.get(f"{self.root}/discovery.{fmt}", timeout=10)

    def token(self, token, fmt="json"):
        return requests.get(f"{self.root}/tokens/{token}.{fmt}", timeout=10)


@pytest.fixture
def app_key(loop_town):
    """The key of the resident app: a token of a centre-operator account."""
    _, token = token_create(user=loop_town.operator, name="resident app (Open311)")
    return token


@pytest.fixture
def live(loop_town, live_server, app_key):
    loop_town.root = live_server.url + BASE
    loop_town.key = app_key
    return loop_town


live_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# --- through a live server, with client libraries -----------------------------------------------


@live_db
def test_georeport_lists_services_and_definitions_in_json_and_xml(live):
    for fmt in ("json", "xml"):
        client = GeoReport(live.root, jurisdiction="yemai", output_format=fmt)
        services = client.get_service_list()
        stall = next(s for s in services if s["service_code"] == "0203")
        assert stall["service_name"] == "占道经营"
        assert stall["group"] == "街面秩序"
        assert stall["type"] == "realtime"
        assert stall["metadata"] in (False, "false")
        assert not any(s["service_code"] in {"01", "02"} for s in services)  # leaves only
        definition = client.get_service_definition("0203")
        assert definition["service_code"] == "0203"
        assert definition["attributes"] in ([], None)


@live_db
def test_a_resident_app_posts_a_request_and_georeport_follows_it(live):
    spec = SpecClient(live.root, api_key=live.key, jurisdiction="yemai")
    response = spec.post_service_request(
        service_code="0203",
        lat=IN_DONGMEN1["lat"],
        long=IN_DONGMEN1["lon"],
        description="菜场门口有人占道卖菜，电话13812345678",
        first_name="三",
        last_name="张",
        phone="13812345678",
        email="zhang@example.com",
        media_url="https://photos.example.com/1.jpg",
    )
    assert response.status_code == 200, response.text
    (created,) = response.json()
    assert set(created) >= {"service_request_id", "service_notice", "account_id"}
    case = Case.objects.get(number=created["service_request_id"])
    assert case.source == Source.RESIDENT and case.reporter is None
    assert (case.reporter_name, case.reporter_phone) == ("张三", "13812345678")
    assert case.state == State.DISPATCHED and case.grid == live.dongmen1
    assert case.events.get(action="report").data["media_url"] == "https://photos.example.com/1.jpg"

    for fmt in ("json", "xml"):
        client = GeoReport(live.root, jurisdiction="yemai", output_format=fmt)
        one = client.get_service_request(case.number)
        assert one["service_request_id"] == case.number
        assert one["status"] == "open"
        assert one["service_code"] == "0203" and one["service_name"] == "占道经营"
        assert one["agency_responsible"] == "城管中队"
        assert "138****5678" in one["description"] and "13812345678" not in one["description"]
        assert float(one["lat"]) == IN_DONGMEN1["lat"]
        assert float(one["long"]) == IN_DONGMEN1["lon"]
        assert one["requested_datetime"].endswith("+08:00")
        listed = client.get_service_requests(service_code="0203", status="open")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
        assert [r["service_request_id"] for r in listed] == [case.number]
        text = str(listed)
        assert "张三" not in text and "13812345678" not in text


@live_db
def test_a_post_in_xml_answers_in_xml_and_the_token_leads_to_the_request(live):
    spec = SpecClient(live.root, api_key=live.key)
    response = spec.post_service_request(
        fmt="xml", service_code="0101", address_string="东门路12号", description="垃圾堆放"
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    token = root.find("request/token").text
    case = Case.objects.get(number=number)
    assert case.state == State.REPORTED  # an address only: the centre's queue
    found = spec.token(token.lower()).json()
    assert found == [{"service_request_id": number, "token": token}]
    xml = ET.fromstring(spec.token(token, fmt="xml").content)
    assert xml.find("request/service_request_id").text == number


@live_db
def test_discovery_names_the_endpoint_and_its_formats(live):
    spec = SpecClient(live.root)
    doc = spec.discovery().json()
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == live.root
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = ET.fromstring(spec.discovery("xml").content)
    assert xml.tag == "discovery"
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


@live_db
def test_georeport_sees_an_error_status_for_a_bad_request(live):
    client = GeoReport(live.root, jurisdiction="elsewhere")
    with pytest.raises(requests.HTTPError) as failure:
        client.get_service_list()
    assert failure.value.response.status_code == 404


# --- errors, in the requested format -------------------------------------------------------------


def post(client, fmt="json", **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({}, 403, "api_key"),
        ({"api_key": "ym_wrong"}, 403, "api_key"),
        ({"api_key": "KEY", "jurisdiction_id": "boston"}, 404, "jurisdiction_id"),
        ({"api_key": "KEY"}, 400, "service_code"),
        ({"api_key": "KEY", "service_code": "9999", "lat": "30.21", "long": "121.21"}, 400, "9999"),
        ({"api_key": "KEY", "service_code": "0203"}, 400, "location"),
        ({"api_key": "KEY", "service_code": "0203", "lat": "30.2"}, 400, "long"),
        ({"api_key": "KEY", "service_code": "0203", "lat": "north", "long": "1"}, 400, "lat"),
        ({"api_key": "KEY", "service_code": "0203", "lat": "95", "long": "121"}, 400, "lat"),
        ({"api_key": "KEY", "service_code": "0203", "lat": "nan", "long": "121"}, 400, "lat"),
        (
            {"api_key": "KEY", "service_code": "0203", "address_string": "x", "phone": "12345"},
            400,
            "phone",
        ),
    ],
)
def test_a_bad_post_is_an_error_list_and_stores_nothing(
    loop_town, app_key, client, fmt, fields, status, words
):
    fields = {k: (app_key if v == "KEY" else v) for k, v in fields.items()}
    response = post(client, fmt, **fields)
    assert response.status_code == status, response.content
    if fmt == "json":
        (error,) = response.json()
        assert error["code"] == status and words in error["description"]
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == str(status)
        assert words in root.find("error/description").text
    assert Case.objects.count() == 0


def test_a_key_of_a_member_may_not_submit(loop_town, client):
    _, token = token_create(user=loop_town.dongmen1_member, name="phone")
    response = post(client, api_key=token, service_code="0203", address_string="x")
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_dates_may_span_at_most_90_days_and_must_be_w3(loop_town, client):
    url = f"{BASE}/requests.json"
    span = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    assert client.get(url, span).status_code == 400
    assert client.get(url, {"start_date": "yesterday"}).status_code == 400
    assert client.get(url, {"status": "pending"}).status_code == 400
    backwards = {"start_date": "2026-02-01", "end_date": "2026-01-01"}
    assert client.get(url, backwards).status_code == 400
    assert client.get(url, {"start_date": "2026-01-01T00:00:00+08:00"}).status_code == 200


def test_an_unknown_request_token_or_service_is_a_404(loop_town, client):
    for path in ("requests/20200101999.json", "tokens/NOPE.xml", "services/9999.json"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404, path
    root = ET.fromstring(client.get(f"{BASE}/tokens/NOPE.xml").content)
    assert root.find("error/code").text == "404"


def test_a_method_the_resource_does_not_take_is_a_405(loop_town, client):
    assert client.post(f"{BASE}/services.json").status_code == 405
    assert client.delete(f"{BASE}/requests.json").status_code == 405


# --- what the public sees --------------------------------------------------------------------------


def test_public_reads_hide_private_categories_personal_data_and_rejected_text(loop_town, client):
    t = loop_town
    street = report(t)
    dispute = report(t, category=Category.objects.get(code="0601"), description="邻居张三吵架")
    spam = report(t, where=OUTSIDE, description="广告 加微信 13900001111")
    from yemai.cases.workflow import case_transition

    case_transition(case=spam, action="reject", actor=t.operator, reject_reason="invalid")
    listed = client.get(f"{BASE}/requests.json").json()
    numbers = {r["service_request_id"] for r in listed}
    assert numbers == {street.number, spam.number}
    assert client.get(f"{BASE}/requests/{dispute.number}.json").status_code == 404
    body = client.get(f"{BASE}/requests.json").content.decode()
    assert "居民甲" not in body and "13800138000" not in body
    rejected = next(r for r in listed if r["service_request_id"] == spam.number)
    assert rejected["status"] == "closed" and rejected["description"] == ""
    assert "Not a valid report" in rejected["status_notes"]
    assert rejected["expected_datetime"] is None


def test_requests_filter_by_ids_codes_and_status(loop_town, client):
    t = loop_town
    a = report(t)
    b = report(t, category=t.garbage, description="垃圾")
    url = f"{BASE}/requests.json"
    get = lambda **q: {r["service_request_id"] for r in client.get(url, q).json()}  # noqa: E731
    assert get(service_request_id=f"{a.number},{b.number},nonsense") == {a.number, b.number}
    assert get(service_code="0101") == {b.number}
    assert get(status="closed") == set()
    assert get(status="open,closed") == {a.number, b.number}
    assert get(start_date="2020-01-01", end_date="2020-02-01") == set()


def test_a_requests_photo_is_the_public_copy_without_exif(loop_town, client):
    from yemai.cases.evidence import photo_add

    case = report(loop_town)
    photo = photo_add(case=case, file=png(), kind="report")
    (one,) = client.get(f"{BASE}/requests/{case.number}.json").json()
    assert one["media_url"].endswith(f"{BASE}/media/{photo.pk}.jpg")
    response = client.get(f"{BASE}/media/{photo.pk}.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    data = b"".join(response.streaming_content)
    assert data[:2] == b"\xff\xd8" and b"Exif" not in data
    dispute = report(loop_town, category=Category.objects.get(code="0601"))
    hidden = photo_add(case=dispute, file=png((1, 1, 1)), kind="report")
    assert client.get(f"{BASE}/media/{hidden.pk}.jpg").status_code == 404


def test_services_in_xml_have_the_specs_roots(loop_town, client):
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    first = root.find("service")
    assert {c.tag for c in first} >= {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert first.find("metadata").text == "false"
    definition = ET.fromstring(client.get(f"{BASE}/services/0203.xml").content)
    assert definition.tag == "service_definition"
    assert definition.find("service_code").text == "0203"
