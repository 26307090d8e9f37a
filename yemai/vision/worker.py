"""The vision worker (``yemai vision``): its own process, as many as the cameras need.

Every ``heartbeat_s`` it reports its health and syncs its camera leases
(``services.camera_leases_sync``): cameras it gained get a reader thread and a pipeline,
cameras it lost are dropped. Readers put sampled frames on one queue; the main loop takes
up to ``batch`` of them (from many cameras), runs the detector once on the batch, then each
camera's tracker and zone rules. An alarm is stored (aggregated with a recent one of the same
camera and zone), then — unless its zone asks for human review — its case is raised through
the API with an idempotency key and the evidence pictures attached.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import selectors, services
from .client import ApiError, CaseApi
from .detectors import Detector, FrameIn
from .pipeline import Alarm as PipelineAlarm
from .pipeline import CameraPipeline, ZoneSpec, jpeg
from .streams import CameraReader, Sample
from .tracking import ZoneRule

log = logging.getLogger("yemai.vision")

SNAPSHOT_EVERY_S = 600.0  # the zone editor's picture is refreshed this often


def zone_rule(zone) -> ZoneSpec:
    return ZoneSpec(
        ZoneRule(
            id=zone.pk,
            name=zone.name,
            kind=zone.kind,
            polygon=[tuple(p) for p in zone.polygon],
            labels=frozenset(zone.labels or []),
            dwell_s=float(zone.dwell_s),
            cooldown_s=float(zone.cooldown_s),
            min_size=float(zone.min_size),
            active_from=zone.active_from,
            active_to=zone.active_to,
        ),
        zone.image_width,
        zone.image_height,
    )


@dataclass
class CameraRun:
    camera_id: int
    code: str
    reader: CameraReader
    pipeline: CameraPipeline
    samples: list[float] = field(default_factory=list)  # wall times of analysed frames
    snapshot_at: float = 0.0


class VisionWorker:
    def __init__(
        self,
        *,
        detector: Detector,
        api: CaseApi | None,
        name: str | None = None,
        lease_s: float = 30.0,
        heartbeat_s: float = 5.0,
        batch: int = 8,
        max_width: int = 640,
        realtime: bool = True,
        loop_files: bool = True,
        min_hits: int = 3,
    ):
        self.detector = detector
        self.api = api
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.lease_s = lease_s
        self.heartbeat_s = heartbeat_s
        self.batch = batch
        self.max_width = max_width
        self.realtime = realtime
        self.loop_files = loop_files
        self.min_hits = min_hits
        self.queue: queue.Queue[Sample] = queue.Queue(maxsize=max(4, batch * 4))
        self.runs: dict[int, CameraRun] = {}
        self.signatures: dict[int, tuple] = {}
        self.stop_event = threading.Event()
        self.analysed = 0
        self.started = time.time()
        self.alarms_raised = 0

    # --- leases and readers ----------------------------------------------------------------

    def _start(self, camera) -> None:
        reader = CameraReader(
            camera_id=camera.pk,
            url=camera.stream_url,
            sample_fps=camera.sample_fps,
            out=self.queue,
            max_width=self.max_width,
            realtime=self.realtime,
            loop_files=self.loop_files,
        )
        pipeline = CameraPipeline(
            camera.code, [zone_rule(z) for z in camera.active_zones], min_hits=self.min_hits
        )
        self.runs[camera.pk] = CameraRun(camera.pk, camera.code, reader, pipeline)
        reader.start()
        log.info("%s: watching camera %s", self.name, camera.code)

    def _stop(self, camera_id: int) -> None:
        run = self.runs.pop(camera_id, None)
        if run is not None:
            run.reader.stop()
            self.detector.forget(run.code)

    def sync(self) -> None:
        """Heartbeat, leases, reader threads, status of each camera, unsent alarms."""
        now = timezone.now()
        fps = sum(self._fps(run) for run in self.runs.values())
        services.worker_heartbeat(
            name=self.name,
            host=socket.gethostname(),
            pid=os.getpid(),
            detector=getattr(self.detector, "name", ""),
            cameras=len(self.runs),
            fps=fps,
            now=now,
        )
        ids = services.camera_leases_sync(worker=self.name, lease_s=self.lease_s, now=now)
        signatures = selectors.worker_camera_signatures(ids=ids)
        # Cameras lost, or whose stream or zones changed: stop; new or changed ones: start.
        for camera_id in list(self.runs):
            if signatures.get(camera_id) != self.signatures.get(camera_id):
                self._stop(camera_id)
        starting = [pk for pk in signatures if pk not in self.runs]
        if starting:
            for camera in selectors.worker_cameras(ids=starting):
                self._start(camera)
        self.signatures = signatures
        for run in self.runs.values():
            last = run.reader.last_frame_wall
            services.camera_status_report(
                camera_id=run.camera_id,
                worker=self.name,
                online=run.reader.online,
                fps=self._fps(run),
                last_frame_at=dt.datetime.fromtimestamp(last, dt.UTC) if last else None,
                detail=run.reader.error,
            )
        self.dispatch_pending()

    def _fps(self, run: CameraRun) -> float:
        cutoff = time.time() - 60
        run.samples = [t for t in run.samples if t >= cutoff]
        span = min(60.0, time.time() - self.started) or 1.0
        return len(run.samples) / span

    # --- frames ----------------------------------------------------------------------------

    def take_batch(self, wait_s: float = 0.2) -> list[Sample]:
        batch = []
        try:
            batch.append(self.queue.get(timeout=wait_s))
        except queue.Empty:
            return batch
        while len(batch) < self.batch:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def process(self, batch: list[Sample]) -> list[tuple[CameraRun, PipelineAlarm]]:
        batch = [s for s in batch if s.camera_id in self.runs]
        if not batch:
            return []
        runs = [self.runs[s.camera_id] for s in batch]
        detections = self.detector.detect(
            [FrameIn(run.code, s.image, s.t) for run, s in zip(runs, batch, strict=True)]
        )
        clock = timezone.localtime().time()
        found = []
        for run, sample, dets in zip(runs, batch, detections, strict=True):
            run.samples.append(sample.wall)
            self.analysed += 1
            if sample.wall - run.snapshot_at > SNAPSHOT_EVERY_S:
                h, w = sample.image.shape[:2]
                services.camera_snapshot_save(
                    camera_id=run.camera_id, jpeg=jpeg(sample.image), width=w, height=h
                )
                run.snapshot_at = sample.wall
            for alarm in run.pipeline.process(sample.image, sample.t, dets, clock):
                found.append((run, alarm))
        return found

    def alarm_store(self, run: CameraRun, alarm: PipelineAlarm) -> None:
        event = alarm.event
        stored, created = services.alarm_raise(
            camera_id=run.camera_id,
            zone_id=event.zone.id,
            track_uid=event.track.uid,
            label=event.track.label,
            score=event.track.median_score,
            box=list(event.track.box),
            dwell_s=event.dwell_s,
            snapshot=alarm.snapshot,
            first_frame=alarm.first,
            last_frame=alarm.last,
            worker=self.name,
        )
        self.alarms_raised += int(created)
        log.info(
            "%s: alarm %s camera %s zone %s (%s)",
            self.name,
            stored.pk,
            run.code,
            event.zone.name,
            "new" if created else "repeat",
        )

    # --- cases -----------------------------------------------------------------------------

    def dispatch_pending(self) -> int:
        """Raise the cases of this worker's alarms that have none yet."""
        if self.api is None:
            return 0
        sent = 0
        for alarm in selectors.alarms_to_dispatch(camera_ids=list(self.runs)):
            try:
                self.dispatch(alarm)
                sent += 1
            except (ApiError, OSError) as exc:
                services.alarm_mark_failed(alarm_id=alarm.pk, error=str(exc))
                log.warning("%s: alarm %s not sent: %s", self.name, alarm.pk, exc)
        return sent

    def dispatch(self, alarm) -> dict:
        zone, camera = alarm.zone, alarm.camera
        category = services.zone_category(zone)
        with translation.override(settings.LANGUAGE_CODE):
            text = _(
                "Camera %(camera)s, zone %(zone)s: %(object)s has stood for %(minutes)s min"
            ) % {
                "camera": camera.name,
                "zone": zone.name,
                "object": alarm.label,
                "minutes": max(1, round(alarm.dwell_s / 60)),
            }
            if zone.organisation_id:
                text += " · " + _("shop: %(shop)s") % {"shop": zone.organisation.name}
        key = f"vision:{camera.code}:{zone.pk}:{alarm.track_uid}"
        case = self.api.case_report(
            {
                "category": category,
                "description": text,
                "lon": camera.lon,
                "lat": camera.lat,
                "address": (camera.location or camera.name)[:200],
                "source": "camera",
            },
            key,
        )
        for picture, name in (
            (alarm.snapshot, "snapshot.jpg"),
            (alarm.first_frame, "first.jpg"),
            (alarm.last_frame, "last.jpg"),
        ):
            if picture:
                self.api.photo_add(case["id"], bytes(picture), name)
        services.alarm_mark_sent(alarm_id=alarm.pk, case_id=case["id"], case_number=case["number"])
        return case

    # --- the loop --------------------------------------------------------------------------

    def run(self, *, max_seconds: float | None = None, until_idle: bool = False) -> None:
        """Until stopped (or ``max_seconds``; or, with ``until_idle``, until every camera's
        file is read to its end and its alarms are sent)."""
        deadline = time.time() + max_seconds if max_seconds else None
        next_sync = 0.0
        try:
            while not self.stop_event.is_set():
                now = time.time()
                if now >= next_sync:
                    close_old_connections()
                    self.sync()
                    next_sync = now + self.heartbeat_s
                for run, alarm in self.process(self.take_batch()):
                    self.alarm_store(run, alarm)
                    self.dispatch_pending()
                if deadline and time.time() >= deadline:
                    break
                if (
                    until_idle
                    and self.runs
                    and self.queue.empty()
                    and all(r.reader.finished for r in self.runs.values())
                ):
                    self.dispatch_pending()
                    break
        finally:
            for camera_id in list(self.runs):
                self._stop(camera_id)
            services.worker_stop(name=self.name)
