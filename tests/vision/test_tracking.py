"""Tracker and zone rules: bottom-centre membership, dwell, flicker, cooldown, leaving early."""

import datetime as dt

from yemai.vision.detectors import Detection
from yemai.vision.tracking import Tracker, ZoneRule, ZoneRules

ZONE = ZoneRule(
    id=1,
    name="pavement",
    kind="no_parking",
    polygon=[(0, 100), (200, 100), (200, 200), (0, 200)],
    dwell_s=10,
    cooldown_s=60,
)


def run(samples, zone=ZONE, min_hits=3, clock=None):
    """samples: list of (t, [boxes]) → alarms as (t, track uid, repeat)."""
    tracker, rules = Tracker(min_hits=min_hits), ZoneRules([zone])
    alarms = []
    for t, boxes in samples:
        tracks, ended = tracker.update([Detection(b, "object", 0.9) for b in boxes], t)
        events, _entered = rules.update(tracks, ended, t, clock)
        alarms += [(t, e.track.uid, e.repeat) for e in events]
    return alarms


def test_an_object_standing_past_its_dwell_raises_one_alarm():
    alarms = run([(t, [(50, 120, 80, 150)]) for t in range(0, 30)])
    assert [(t, r) for t, _u, r in alarms] == [(10, False)]


def test_it_raises_again_only_after_the_cooldown():
    alarms = run([(t, [(50, 120, 80, 150)]) for t in range(0, 75)])
    assert [(t, r) for t, _u, r in alarms] == [(10, False), (70, True)]


def test_an_object_that_leaves_before_its_dwell_raises_nothing():
    alarms = run([(t, [(50, 120, 80, 150)] if t < 8 else []) for t in range(0, 30)])
    assert alarms == []


def test_membership_is_decided_by_the_bottom_centre():
    # The box reaches into the zone, but its foot stands above it.
    alarms = run([(t, [(50, 40, 80, 95)]) for t in range(0, 30)])
    assert alarms == []


def test_a_box_seen_on_alternate_samples_is_flicker_not_an_object():
    alarms = run([(t, [(50, 120, 80, 150)] if t % 2 else []) for t in range(0, 40)])
    assert alarms == []


def test_a_wobbling_box_is_the_same_object():
    samples = [(t, [(50 + (t % 3), 120, 80 + (t % 2), 150 + (t % 3))]) for t in range(0, 25)]
    alarms = run(samples)
    assert len(alarms) == 1


def test_labels_size_and_hours_limit_a_zone():
    from dataclasses import replace

    only_bikes = replace(ZONE, labels=frozenset({"ebike"}))
    assert run([(t, [(50, 120, 80, 150)]) for t in range(30)], zone=only_bikes) == []
    big_only = replace(ZONE, min_size=40)
    assert run([(t, [(50, 120, 80, 150)]) for t in range(30)], zone=big_only) == []
    night = replace(ZONE, active_from=dt.time(22), active_to=dt.time(6))
    samples = [(t, [(50, 120, 80, 150)]) for t in range(30)]
    assert run(samples, zone=night, clock=dt.time(12)) == []
    assert len(run(samples, zone=night, clock=dt.time(23, 30))) == 1
