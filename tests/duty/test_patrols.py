"""Patrol tracks (巡查轨迹): start, batches of points, end — and every way to get it wrong."""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from yemai.duty.models import Patrol, TrackPoint

from .conftest import post_json, walk


def start(client, **body):
    response = post_json(client, "/api/duty/patrols", body)
    assert response.status_code in {200, 201}, response.content
    return response


def test_it_records_a_patrol_and_computes_its_length(duty_town, client):
    t = duty_town
    client.force_login(t.dongmen1_member)
    response = start(client)
    assert response.status_code == 201
    patrol = response.json()
    assert patrol["is_open"] and patrol["grid"] == t.dongmen1.code and patrol["point_count"] == 0

    track = walk(11)  # ten steps of 111.19 m north
    first = post_json(client, f"/api/duty/patrols/{patrol['id']}/points", {"points": track[:6]})
    assert first.status_code == 200, first.content
    second = post_json(client, f"/api/duty/patrols/{patrol['id']}/points", {"points": track[6:]})
    body = second.json()
    assert body["added"] == 5 and body["duplicates"] == 0
    assert body["patrol"]["point_count"] == 11
    assert body["patrol"]["length_m"] == pytest.approx(1111.9, abs=2)

    ended = post_json(client, f"/api/duty/patrols/{patrol['id']}/end")
    assert ended.status_code == 200
    assert ended.json()["is_open"] is False and ended.json()["ended_at"]

    detail = client.get(f"/api/duty/patrols/{patrol['id']}").json()
    assert len(detail["points"]) == 11
    assert detail["points"][0]["lat"] == pytest.approx(30.21)
    listed = client.get("/api/duty/patrols").json()["items"]
    assert [p["id"] for p in listed] == [patrol["id"]]


def test_it_does_not_double_points_when_a_batch_is_sent_again(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    track = walk(7)
    batch = {"points": track[:5]}
    url = f"/api/duty/patrols/{patrol['id']}/points"
    assert post_json(client, url, batch).json()["added"] == 5
    again = post_json(client, url, batch).json()
    assert again["added"] == 0 and again["duplicates"] == 5
    # A batch that overlaps the last one adds only what is new.
    overlap = post_json(client, url, {"points": track}).json()
    assert overlap["added"] == 2 and overlap["duplicates"] == 5
    assert TrackPoint.objects.filter(patrol_id=patrol["id"]).count() == 7
    assert overlap["patrol"]["length_m"] == pytest.approx(6 * 111.19, abs=2)


def test_out_of_order_batches_give_the_same_length(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    track = walk(9)
    url = f"/api/duty/patrols/{patrol['id']}/points"
    post_json(client, url, {"points": track[5:]})
    body = post_json(client, url, {"points": track[:5]}).json()
    assert body["patrol"]["length_m"] == pytest.approx(8 * 111.19, abs=2)


def test_imprecise_fixes_stay_in_the_track_but_not_in_its_length(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    track = walk(3)
    track[1]["accuracy"] = 900.0  # a jump while indoors
    track[1]["lon"] += 0.01
    body = post_json(client, f"/api/duty/patrols/{patrol['id']}/points", {"points": track}).json()
    assert body["patrol"]["point_count"] == 3
    assert body["patrol"]["length_m"] == pytest.approx(2 * 111.19, abs=2)


def test_batches_in_time_order_add_to_the_length_exactly_as_a_full_measure(duty_town, client):
    """The usual case: each batch comes after the last. The length grows from the last
    counted fix instead of decrypting the whole track, and equals the full measure."""
    from yemai.duty.models import position_parse
    from yemai.duty.services import track_length_m

    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    url = f"/api/duty/patrols/{patrol['id']}/points"
    track = walk(40, step_s=2)
    for i in (5, 17, 29):  # imprecise fixes, one at a batch's end
        track[i]["accuracy"] = 500.0
        track[i]["lon"] += 0.003
    for batch in (track[:6], track[6:18], track[18:30], track[30:]):
        body = post_json(client, url, {"points": batch}).json()
    stored = Patrol.objects.get(pk=patrol["id"])
    fixes = TrackPoint.objects.filter(patrol=stored).order_by("recorded_at", "id")
    full = track_length_m(position_parse(p.position) for p in fixes)
    assert stored.length_m == full  # the same running sum, not just close to it
    assert stored.point_count == 40
    assert body["patrol"]["length_m"] == round(full, 1) == pytest.approx(39 * 111.19, abs=3)
    # A late batch that fills a gap is measured over the whole track again.
    late = walk(3, start=timezone.now() - dt.timedelta(minutes=5))  # before the track
    body = post_json(client, url, {"points": late}).json()
    stored.refresh_from_db()
    fixes = TrackPoint.objects.filter(patrol=stored).order_by("recorded_at", "id")
    assert stored.length_m == track_length_m(position_parse(p.position) for p in fixes)
    assert stored.point_count == 43


def test_starting_again_returns_the_open_patrol(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    first = start(client, client_key="phone-1")
    again = start(client, client_key="phone-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert client.get("/api/duty/patrols/current").json()["id"] == first.json()["id"]
    post_json(client, f"/api/duty/patrols/{first.json()['id']}/end")
    assert client.get("/api/duty/patrols/current").status_code == 404
    # The same start key after the end (a late retry) does not open a second patrol.
    late = start(client, client_key="phone-1")
    assert late.status_code == 200 and late.json()["id"] == first.json()["id"]
    assert Patrol.objects.count() == 1


@pytest.mark.parametrize(
    "change, words",
    [
        ({"lon": 181.0}, "lon"),
        ({"lat": -91.0}, "lat"),
        ({"accuracy": -1}, "accuracy"),
        ({"recorded_at": "not a time"}, "recorded_at"),
    ],
)
def test_a_bad_point_refuses_the_whole_batch(duty_town, client, change, words):
    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    track = walk(4)
    track[2].update(change)
    response = post_json(client, f"/api/duty/patrols/{patrol['id']}/points", {"points": track})
    assert response.status_code == 400
    assert words in str(response.json()["errors"])
    assert TrackPoint.objects.count() == 0


def test_points_from_the_future_or_before_the_start_are_refused(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    url = f"/api/duty/patrols/{patrol['id']}/points"
    future = walk(2, start=timezone.now() + dt.timedelta(hours=1))
    response = post_json(client, url, {"points": future})
    assert response.status_code == 400 and "future" in str(response.json()["errors"])
    past = walk(2, start=timezone.now() - dt.timedelta(hours=3))
    response = post_json(client, url, {"points": past})
    assert response.status_code == 400 and "before the patrol started" in str(response.json())
    assert post_json(client, url, {"points": []}).status_code == 400
    assert TrackPoint.objects.count() == 0


def test_nobody_adds_points_to_someone_elses_patrol(duty_town, client):
    t = duty_town
    client.force_login(t.dongmen1_member)
    patrol = start(client).json()
    for other in (t.dongmen2_member, t.dongmen_head, t.ximen1_member):
        client.force_login(other)
        url = f"/api/duty/patrols/{patrol['id']}/points"
        assert post_json(client, url, {"points": walk(2)}).status_code == 404
        assert post_json(client, f"/api/duty/patrols/{patrol['id']}/end").status_code == 404
    assert TrackPoint.objects.count() == 0
    assert Patrol.objects.get().ended_at is None


def test_an_ended_patrol_takes_no_more_points(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    patrol = start(client).json()
    post_json(client, f"/api/duty/patrols/{patrol['id']}/end")
    response = post_json(client, f"/api/duty/patrols/{patrol['id']}/points", {"points": walk(2)})
    assert response.status_code == 400 and "ended" in str(response.json())
    again = post_json(client, f"/api/duty/patrols/{patrol['id']}/end")
    assert again.status_code == 400
    assert TrackPoint.objects.count() == 0


def test_patrols_need_a_signed_in_grid_worker(duty_town, client):
    t = duty_town
    assert post_json(client, "/api/duty/patrols").status_code == 401
    assert client.get("/api/duty/patrols").status_code == 401
    for admin in (t.security, t.auditor):
        client.force_login(admin)
        response = post_json(client, "/api/duty/patrols")
        assert response.status_code == 403
    assert Patrol.objects.count() == 0


def test_a_patrol_started_and_ended_offline_keeps_the_phones_times(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    began = timezone.now() - dt.timedelta(hours=1)
    response = start(client, client_key="offline-1", started_at=began.isoformat())
    patrol = response.json()
    assert response.status_code == 201
    url = f"/api/duty/patrols/{patrol['id']}"
    body = post_json(client, f"{url}/points", {"points": walk(4, start=began)}).json()
    assert body["added"] == 4
    ended = began + dt.timedelta(minutes=40)
    response = client.post(f"{url}/end?" + urlencode({"ended_at": ended.isoformat()}))
    assert response.status_code == 200
    saved = Patrol.objects.get()
    assert abs(saved.started_at - began) < dt.timedelta(seconds=1)
    assert abs(saved.ended_at - ended) < dt.timedelta(seconds=1)


def test_a_start_or_end_time_from_the_future_or_days_ago_is_refused(duty_town, client):
    client.force_login(duty_town.dongmen1_member)
    for when in (timezone.now() + dt.timedelta(hours=1), timezone.now() - dt.timedelta(days=2)):
        response = post_json(client, "/api/duty/patrols", {"started_at": when.isoformat()})
        assert response.status_code == 400 and "started_at" in str(response.json())
    assert Patrol.objects.count() == 0
    patrol = start(client).json()
    late = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    end = f"/api/duty/patrols/{patrol['id']}/end?" + urlencode({"ended_at": late})
    response = client.post(end)
    assert response.status_code == 400
    assert Patrol.objects.get().ended_at is None
    # An end with no body at all is the plain "end now".
    assert client.post(f"/api/duty/patrols/{patrol['id']}/end").status_code == 200
