"""Tracking across samples, and the zone rules that turn a track into an alarm.

The tracker matches boxes by overlap (IoU), then by centre distance for what is left (a
detector's box of a still object wobbles). A track is *confirmed* after ``min_hits``
samples in a row (flicker: a box seen once is noise) and dropped after ``max_missed``
samples without a match.

``ZoneRules`` decides, per zone and track, from the bottom-centre of the box: how long it
has stood in the zone (dwell), whether it is a label the zone watches, big enough, within the
zone's hours; it raises one alarm per track once the dwell is reached, again only after the
cooldown if it is still there. A track that leaves before its dwell raises nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from .detectors import Detection
from .geometry import Box, bottom_centre, centre, iou, point_in_polygon


@dataclass
class Track:
    uid: str
    box: Box
    label: str
    score: float
    first_seen: float
    last_seen: float
    hits: int = 1
    missed: int = 0
    confirmed: bool = False
    scores: list[float] = field(default_factory=list)

    @property
    def median_score(self) -> float:
        s = sorted(self.scores)
        return s[len(s) // 2] if s else self.score


class Tracker:
    def __init__(self, *, iou_threshold: float = 0.3, min_hits: int = 3, max_missed: int = 3):
        self.iou_threshold = iou_threshold
        self.min_hits = min_hits
        self.max_missed = max_missed
        self.tracks: list[Track] = []

    @staticmethod
    def _part_of(det: Detection, tracks: Sequence[Track]) -> bool:
        """A box mostly inside a live track's box is a fragment of that object (a detector
        that splits one object in two must not make a second track)."""
        x1, y1, x2, y2 = det.box
        area = max(1e-9, (x2 - x1) * (y2 - y1))
        for track in tracks:
            if track.label != det.label or track.missed:
                continue
            tx1, ty1, tx2, ty2 = track.box
            inter = max(0.0, min(x2, tx2) - max(x1, tx1)) * max(0.0, min(y2, ty2) - max(y1, ty1))
            if inter / area >= 0.6:
                return True
        return False

    def update(self, detections: Sequence[Detection], t: float) -> tuple[list[Track], list[Track]]:
        """Match this sample's detections → (live tracks, tracks that ended now)."""
        unmatched = list(range(len(detections)))
        pairs = []
        for ti, track in enumerate(self.tracks):
            for di in unmatched:
                det = detections[di]
                if det.label != track.label:
                    continue
                overlap = iou(track.box, det.box)
                if overlap >= self.iou_threshold:
                    pairs.append((overlap, ti, di))
        pairs.sort(reverse=True)
        used_t, used_d = set(), set()
        for _o, ti, di in pairs:
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
        # Centre distance for the rest: within half the track box's diagonal.
        for ti, track in enumerate(self.tracks):
            if ti in used_t:
                continue
            cx, cy = centre(track.box)
            reach = 0.5 * math.hypot(track.box[2] - track.box[0], track.box[3] - track.box[1])
            best, best_d = None, reach
            for di in range(len(detections)):
                if di in used_d or detections[di].label != track.label:
                    continue
                dx, dy = centre(detections[di].box)
                dist = math.hypot(dx - cx, dy - cy)
                if dist <= best_d:
                    best, best_d = di, dist
            if best is not None:
                used_t.add(ti)
                used_d.add(best)
                pairs.append((0.0, ti, best))
        matched = {ti: di for _o, ti, di in pairs if ti in used_t and di in used_d}
        ended = []
        live = []
        for ti, track in enumerate(self.tracks):
            di = matched.get(ti)
            if di is not None and detections[di] is not None:
                det = detections[di]
                track.box, track.score, track.last_seen = det.box, det.score, t
                track.scores = (track.scores + [det.score])[-20:]
                track.hits += 1
                track.missed = 0
                if track.hits >= self.min_hits:
                    track.confirmed = True
                live.append(track)
            else:
                track.missed += 1
                if not track.confirmed:
                    track.hits = 0
                if track.missed > self.max_missed or not track.confirmed:
                    ended.append(track)
                else:
                    live.append(track)
        for di, det in enumerate(detections):
            if di in used_d or self._part_of(det, live):
                continue
            live.append(
                Track(
                    uid=uuid.uuid4().hex[:12],
                    box=det.box,
                    label=det.label,
                    score=det.score,
                    first_seen=t,
                    last_seen=t,
                    scores=[det.score],
                    confirmed=self.min_hits <= 1,
                )
            )
        self.tracks = live
        return live, ended


@dataclass
class ZoneRule:
    """A zone as the worker needs it; ``polygon`` in the pixels of the frames it gets."""

    id: int
    name: str
    kind: str
    polygon: list[tuple[float, float]]
    labels: frozenset[str] = frozenset()  # empty: any label
    dwell_s: float = 60.0
    cooldown_s: float = 1800.0
    min_size: float = 0.0  # pixels: the box's shorter side
    active_from: dt.time | None = None
    active_to: dt.time | None = None
    min_score: float = 0.0

    def is_active(self, now: dt.time | None) -> bool:
        if now is None or self.active_from is None or self.active_to is None:
            return True
        if self.active_from <= self.active_to:
            return self.active_from <= now < self.active_to
        return now >= self.active_from or now < self.active_to  # across midnight

    def holds(self, track: Track) -> bool:
        if self.labels and track.label not in self.labels:
            return False
        x1, y1, x2, y2 = track.box
        if min(x2 - x1, y2 - y1) < self.min_size:
            return False
        if track.median_score < self.min_score:
            return False
        return point_in_polygon(bottom_centre(track.box), self.polygon)


@dataclass
class Stay:
    entered_at: float
    alarmed_at: float | None = None


@dataclass
class AlarmEvent:
    zone: ZoneRule
    track: Track
    dwell_s: float
    repeat: bool  # a reminder after the cooldown, not the first alarm of this stay


class ZoneRules:
    def __init__(self, zones: Sequence[ZoneRule]):
        self.zones = list(zones)
        self.stays: dict[tuple[int, str], Stay] = {}

    def update(
        self, tracks: Sequence[Track], ended: Sequence[Track], t: float, clock: dt.time | None
    ) -> tuple[list[AlarmEvent], list[tuple[ZoneRule, Track]]]:
        """→ (alarms raised now, (zone, track) pairs that entered a zone now)."""
        alarms, entered = [], []
        for track in ended:
            for zone in self.zones:
                self.stays.pop((zone.id, track.uid), None)
        for zone in self.zones:
            active = zone.is_active(clock)
            for track in tracks:
                key = (zone.id, track.uid)
                if not active or not zone.holds(track):
                    self.stays.pop(key, None)  # left (or closed hours): the stay starts over
                    continue
                stay = self.stays.get(key)
                if stay is None:
                    stay = self.stays[key] = Stay(entered_at=t)
                    entered.append((zone, track))
                if not track.confirmed or track.missed:
                    continue  # an alarm needs the object seen now, not remembered
                dwell = t - stay.entered_at
                if dwell + 1e-6 < zone.dwell_s:
                    continue
                if stay.alarmed_at is None or t - stay.alarmed_at >= zone.cooldown_s:
                    alarms.append(AlarmEvent(zone, track, dwell, stay.alarmed_at is not None))
                    stay.alarmed_at = t
        return alarms, entered
