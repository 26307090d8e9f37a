"""Reading a camera: PyAV (FFmpeg) for RTSP, HTTP/MJPEG and files; sampling; reconnects.

``CameraReader`` is a thread per camera. It decodes, keeps one frame per ``1/sample_fps``
seconds, scales it to ``max_width`` and puts it on the worker's queue. When the stream drops
it reconnects with exponential backoff (1 s, 2 s, 4 s … ``max_backoff_s``). At a low sample
rate (below one frame every 2 s) only key frames are decoded: cameras send one every 1–2 s,
so this costs a fraction of full decoding and changes nothing at that rate.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger("yemai.vision")


@dataclass
class Sample:
    camera_id: int
    image: np.ndarray
    t: float  # seconds: stream time for files, wall time for live streams
    wall: float  # time.time() when decoded


def _path(url: str) -> str:
    return url[7:] if url.startswith("file://") else url


def is_file(url: str) -> bool:
    return url.startswith("file://") or "://" not in url


def open_container(url: str, timeout_s: float = 10.0):
    import av

    options = {}
    if url.startswith(("rtsp://", "rtsps://")):
        options = {"rtsp_transport": "tcp"}
    return av.open(_path(url), options=options, timeout=(timeout_s, timeout_s))


def _scaled(image: np.ndarray, max_width: int) -> np.ndarray:
    h, w = image.shape[:2]
    if max_width and w > max_width:
        image = cv2.resize(image, (max_width, round(h * max_width / w)), cv2.INTER_AREA)
    return image


def grab_frame(url: str, *, timeout_s: float = 10.0, max_width: int = 1280) -> np.ndarray:
    """One frame of a stream or file (for the zone editor's picture)."""
    with open_container(url, timeout_s) as container:
        for frame in container.decode(video=0):
            return _scaled(frame.to_ndarray(format="bgr24"), max_width)
    raise ValueError("the stream has no video frame")


class CameraReader(threading.Thread):
    def __init__(
        self,
        *,
        camera_id: int,
        url: str,
        sample_fps: float,
        out: queue.Queue,
        max_width: int = 640,
        realtime: bool = True,
        loop_files: bool = True,
        max_backoff_s: float = 60.0,
        keyframes_below_fps: float = 0.5,
    ):
        super().__init__(name=f"camera-{camera_id}", daemon=True)
        self.camera_id = camera_id
        self.url = url
        self.interval = 1.0 / max(sample_fps, 1e-6)
        self.out = out
        self.max_width = max_width
        self.realtime = realtime
        self.loop_files = loop_files
        self.max_backoff_s = max_backoff_s
        self.keyframes_only = sample_fps < keyframes_below_fps
        self.stop_event = threading.Event()
        self.online = False
        self.error = ""
        self.frames = 0
        self.last_frame_wall: float | None = None
        self.finished = False  # a file read to its end with loop_files off

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        backoff = 1.0
        offset = 0.0  # stream time carried over file loops, so time keeps going forward
        while not self.stop_event.is_set():
            try:
                end = self._read(offset)
                backoff = 1.0
                if is_file(self.url):
                    if not self.loop_files:
                        self.finished = True
                        return
                    offset = end + self.interval
                    continue
                self.error = "stream ended"
            except Exception as exc:  # noqa: BLE001 — any network/codec error: reconnect
                self.error = str(exc)[:200]
                log.warning("camera %s: %s; retrying in %.0f s", self.camera_id, exc, backoff)
            self.online = False
            if self.stop_event.wait(backoff):
                return
            backoff = min(self.max_backoff_s, backoff * 2)

    def _read(self, offset: float) -> float:
        started = time.time()
        next_t = None
        last_t = offset
        live = not is_file(self.url)
        with open_container(self.url) as container:
            stream = container.streams.video[0]
            if self.keyframes_only:
                stream.codec_context.skip_frame = "NONKEY"
            stream.thread_type = "AUTO"
            self.online = True
            self.error = ""
            for frame in container.decode(stream):
                if self.stop_event.is_set():
                    break
                if live or frame.pts is None or frame.time is None:
                    t = time.time()
                else:
                    t = offset + float(frame.time)
                last_t = t
                if next_t is not None and t + 1e-6 < next_t:
                    continue
                next_t = t + self.interval if next_t is None else max(next_t + self.interval, t)
                if self.realtime and not live:
                    wait = (t - offset) - (time.time() - started)
                    if wait > 0 and self.stop_event.wait(wait):
                        break
                image = _scaled(frame.to_ndarray(format="bgr24"), self.max_width)
                self.frames += 1
                self.last_frame_wall = time.time()
                sample = Sample(self.camera_id, image, t, self.last_frame_wall)
                while not self.stop_event.is_set():
                    try:
                        self.out.put(sample, timeout=0.5)
                        break
                    except queue.Full:
                        if self.realtime:
                            break  # live: drop the sample, a newer one comes
        return last_t
