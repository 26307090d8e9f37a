"""Synthetic street videos (OpenCV drawing) for the tests, the benchmark and the demo.

A textured street; cars passing; one object that stops in the zone for longer than the
zone's dwell time (it must raise an alarm) and one that stops for less (it must not); a slow
lighting drift and sensor noise. Encoded as a camera sends it: H.264 when PyAV has an
encoder for it, else MPEG-4 Part 2, MJPEG or FFV1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Mover:
    """A drawn object: ``path`` is [(t, x, y)] of its bottom-centre, linear in between; it is
    visible from the first time to the last."""

    name: str
    size: tuple[int, int]  # w, h
    colour: tuple[int, int, int]
    path: list[tuple[float, float, float]]

    def where(self, t: float) -> tuple[float, float] | None:
        if t < self.path[0][0] or t > self.path[-1][0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(self.path, self.path[1:], strict=False):
            if t0 <= t <= t1:
                f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
                return x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        return self.path[-1][1], self.path[-1][2]


@dataclass
class Scene:
    width: int = 320
    height: int = 240
    fps: float = 2.0
    duration: float = 60.0
    seed: int = 7
    noise: float = 4.0
    drift: float = 30.0  # grey levels, peak to peak, over the video
    zone: list[tuple[int, int]] = field(default_factory=list)
    movers: list[Mover] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return int(round(self.duration * self.fps))


def street_scene(*, width: int = 320, height: int = 240, fps: float = 2.0) -> Scene:
    """The tests' scene (60 s): the zone is the pavement, bottom left; with a 15 s dwell
    exactly one alarm is due — ``parked`` (stands from 8 s to 45 s) — and none for ``brief``
    (stands 20–28 s) nor for the cars that pass through."""
    sx, sy = width / 320, height / 240

    def p(path):
        return [(t, x * sx, y * sy) for t, x, y in path]

    return Scene(
        width=width,
        height=height,
        fps=fps,
        zone=[
            (int(10 * sx), int(150 * sy)),
            (int(200 * sx), int(150 * sy)),
            (int(200 * sx), int(235 * sy)),
            (int(10 * sx), int(235 * sy)),
        ],
        movers=[
            Mover(
                "car1",
                (int(60 * sx), int(34 * sy)),
                (40, 40, 200),
                p([(2, -40, 205), (10, 360, 205)]),
            ),
            Mover(
                "parked",
                (int(34 * sx), int(40 * sy)),
                (30, 160, 30),
                p([(4, -30, 215), (8, 60, 215), (45, 60, 215), (48, -30, 215)]),
            ),
            Mover(
                "car2",
                (int(60 * sx), int(34 * sy)),
                (200, 60, 40),
                p([(14, 360, 120), (22, -40, 120)]),
            ),
            Mover(
                "brief",
                (int(30 * sx), int(36 * sy)),
                (160, 40, 160),
                p([(17, 330, 195), (20, 150, 195), (28, 150, 195), (31, 330, 195)]),
            ),
            Mover(
                "car3",
                (int(60 * sx), int(34 * sy)),
                (40, 200, 200),
                p([(34, -40, 200), (42, 360, 200)]),
            ),
            Mover(
                "walker",
                (int(14 * sx), int(36 * sy)),
                (90, 90, 230),
                p([(30, 300, 110), (58, 20, 110)]),
            ),
        ],
    )


def _background(scene: Scene) -> np.ndarray:
    rng = np.random.default_rng(scene.seed)
    h, w = scene.height, scene.width
    noise = rng.integers(0, 255, (h // 8 + 1, w // 8 + 1), dtype=np.uint8)
    base = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    base = 90 + 0.25 * (base - 128)
    img = np.dstack([base, base * 1.02, base * 0.97])
    # Buildings along the top, the road in the middle, the pavement below.
    for i, x in enumerate(range(0, w, max(20, w // 8))):
        cv2.rectangle(img, (x + 2, 0), (x + w // 9, int(h * 0.3)), (120 + 15 * (i % 3),) * 3, -1)
    cv2.rectangle(img, (0, int(h * 0.38)), (w, int(h * 0.6)), (70, 70, 72), -1)
    for x in range(0, w, max(12, w // 16)):
        cv2.line(img, (x, int(h * 0.49)), (x + w // 40, int(h * 0.49)), (200, 200, 200), 2)
    for y in range(int(h * 0.62), h, max(8, h // 24)):
        cv2.line(img, (0, y), (w, y), (130, 125, 120), 1)
    return img


def _draw(img: np.ndarray, mover: Mover, x: float, y: float) -> None:
    w, h = mover.size
    x1, y1 = int(round(x - w / 2)), int(round(y - h))
    cv2.rectangle(img, (x1, y1), (x1 + w, y1 + h), mover.colour, -1)
    # Stripes: a moving object's texture moves with it, so it never matches its own past.
    dark = tuple(int(c * 0.45) for c in mover.colour)
    for sx in range(x1 + 3, x1 + w - 2, 7):
        cv2.line(img, (sx, y1 + 2), (sx, y1 + h - 3), dark, 2)
    cv2.rectangle(img, (x1, y1), (x1 + w, y1 + h), (20, 20, 20), 1)


def render(scene: Scene) -> Iterator[tuple[float, np.ndarray]]:
    """(t, BGR frame) for each frame of the scene."""
    rng = np.random.default_rng(scene.seed + 1)
    background = _background(scene)
    for i in range(scene.frames):
        t = i / scene.fps
        img = background.copy()
        for mover in scene.movers:
            at = mover.where(t)
            if at is not None:
                _draw(img, mover, *at)
        light = scene.drift * (t / max(scene.duration, 1e-9) - 0.5)
        light += 4.0 * math.sin(2 * math.pi * t / 23.0)
        img += light
        if scene.noise:
            img += rng.normal(0, scene.noise, img.shape).astype(np.float32)
        yield t, np.clip(img, 0, 255).astype(np.uint8)


def best_codec() -> tuple[str, str]:
    """(codec, container suffix) the installed PyAV can write, camera-like first."""
    import av

    for codec, suffix in (
        ("libx264", ".mp4"),
        ("h264", ".mp4"),
        ("mpeg4", ".mp4"),
        ("mjpeg", ".avi"),
        ("ffv1", ".mkv"),
    ):
        try:
            av.codec.Codec(codec, "w")
        except Exception:  # noqa: BLE001,S112 — not built into this FFmpeg: try the next
            continue
        return codec, suffix
    raise RuntimeError("PyAV has no video encoder")


def write_video(
    scene: Scene, path: str | Path, *, codec: str | None = None, gop: int | None = None
) -> Path:
    """Encode the scene to ``path``; H.264 (or the best codec there is)."""
    import fractions

    import av

    codec = codec or best_codec()[0]
    path = Path(path)
    rate = fractions.Fraction(scene.fps).limit_denominator(1000)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = scene.width, scene.height
        stream.pix_fmt = (
            "yuv420p"
            if codec not in {"mjpeg", "ffv1"}
            else ("yuvj420p" if codec == "mjpeg" else "yuv420p")
        )
        if codec in {"libx264", "h264"}:
            stream.options = {"preset": "veryfast", "tune": "zerolatency"}
        if gop:
            stream.codec_context.gop_size = gop
        for _t, image in render(scene):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
