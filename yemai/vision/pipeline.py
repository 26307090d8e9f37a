"""One camera's pipeline after the detector: tracker, zone rules, evidence pictures.

The worker runs the detector on a batch of frames from many cameras, then hands each frame
and its detections to that camera's ``CameraPipeline``. An alarm comes out with three JPEG
pictures: the snapshot (the frame with the object's box and the zone drawn), the first
frame the object was seen in the zone, and the last (the frame of the alarm).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .detectors import Detection
from .geometry import scale_polygon
from .tracking import AlarmEvent, Tracker, ZoneRule, ZoneRules

JPEG_QUALITY = 85


@dataclass
class ZoneSpec:
    """A zone as stored: the polygon in the pixels of the image it was drawn on."""

    rule: ZoneRule
    image_width: int
    image_height: int


@dataclass
class Alarm:
    event: AlarmEvent
    snapshot: bytes
    first: bytes
    last: bytes
    frame_size: tuple[int, int]


def jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode the frame as JPEG")
    return data.tobytes()


def draw_evidence(image: np.ndarray, zone: ZoneRule, box, caption: str) -> np.ndarray:
    """The frame with the zone (yellow) and the object's box (red) drawn on it."""
    out = image.copy()
    pts = np.array([[round(x), round(y)] for x, y in zone.polygon], np.int32)
    if len(pts) >= 3:
        overlay = out.copy()
        cv2.fillPoly(overlay, [pts], (0, 215, 255))
        out = cv2.addWeighted(overlay, 0.18, out, 0.82, 0)
        cv2.polylines(out, [pts], True, (0, 215, 255), 2)
    x1, y1, x2, y2 = (round(v) for v in box)
    cv2.rectangle(out, (x1, y1), (x2, y2), (0, 0, 255), 2)
    # ASCII only: OpenCV's Hershey fonts have no CJK glyphs.
    cv2.putText(out, caption, (x1, max(12, y1 - 5)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 255), 1)
    return out


class CameraPipeline:
    def __init__(
        self,
        key: str,
        zones: Sequence[ZoneSpec],
        *,
        min_hits: int = 3,
        max_missed: int = 3,
        iou_threshold: float = 0.3,
    ):
        self.key = key
        self.specs = list(zones)
        self.tracker = Tracker(
            iou_threshold=iou_threshold, min_hits=min_hits, max_missed=max_missed
        )
        self.rules: ZoneRules | None = None
        self.size: tuple[int, int] | None = None
        self.first_frames: dict[tuple[int, str], bytes] = {}

    def _rules_for(self, width: int, height: int) -> ZoneRules:
        if self.rules is None or self.size != (width, height):
            zones = []
            for spec in self.specs:
                sx = width / spec.image_width if spec.image_width else 1.0
                sy = height / spec.image_height if spec.image_height else 1.0
                zones.append(
                    replace(
                        spec.rule,
                        polygon=scale_polygon(spec.rule.polygon, sx, sy),
                        min_size=spec.rule.min_size * min(sx, sy),
                    )
                )
            self.rules = ZoneRules(zones)
            self.size = (width, height)
        return self.rules

    def process(
        self,
        image: np.ndarray,
        t: float,
        detections: Sequence[Detection],
        clock: dt.time | None = None,
    ) -> list[Alarm]:
        height, width = image.shape[:2]
        rules = self._rules_for(width, height)
        tracks, ended = self.tracker.update(detections, t)
        events, entered = rules.update(tracks, ended, t, clock)
        for track in ended:
            for zone in rules.zones:
                self.first_frames.pop((zone.id, track.uid), None)
        for zone, track in entered:
            self.first_frames[(zone.id, track.uid)] = jpeg(image, 70)
        alarms = []
        for event in events:
            caption = f"{event.track.label} {event.dwell_s:.0f}s"
            snapshot = jpeg(draw_evidence(image, event.zone, event.track.box, caption))
            last = jpeg(image)
            first = self.first_frames.get((event.zone.id, event.track.uid), last)
            alarms.append(Alarm(event, snapshot, first, last, (width, height)))
        return alarms
