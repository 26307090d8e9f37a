"""Synthetic street videos, encoded as a camera would send them, read back through the
worker's reader, detector, tracker and rules: exactly the alarms due, no others."""

from __future__ import annotations

import queue

import pytest

from yemai.vision.detectors import FrameIn, StationaryDetector
from yemai.vision.geometry import bottom_centre
from yemai.vision.pipeline import CameraPipeline, ZoneSpec
from yemai.vision.streams import CameraReader
from yemai.vision.synth import best_codec, street_scene, write_video
from yemai.vision.tracking import ZoneRule


@pytest.fixture(scope="module")
def street_video(tmp_path_factory):
    scene = street_scene()
    codec, suffix = best_codec()
    path = write_video(scene, tmp_path_factory.mktemp("video") / f"street{suffix}", codec=codec)
    return scene, path


def read_samples(path, sample_fps):
    out = queue.Queue()
    reader = CameraReader(
        camera_id=1,
        url=str(path),
        sample_fps=sample_fps,
        out=out,
        realtime=False,
        loop_files=False,
    )
    reader.run()  # in this thread: a file read to its end
    samples = []
    while not out.empty():
        samples.append(out.get())
    return reader, samples


def alarms_for(scene, samples, dwell_s):
    zone = ZoneRule(
        1,
        "pavement",
        "no_parking",
        [tuple(p) for p in scene.zone],
        dwell_s=dwell_s,
        cooldown_s=3600,
    )
    pipe = CameraPipeline("cam", [ZoneSpec(zone, scene.width, scene.height)])
    detector = StationaryDetector()
    alarms = []
    for s in samples:
        (dets,) = detector.detect([FrameIn("cam", s.image, s.t)])
        alarms += [(s.t, a) for a in pipe.process(s.image, s.t, dets)]
    return alarms


def test_the_test_video_is_h264_when_the_codecs_allow(street_video):
    import av

    scene, path = street_video
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name in {"h264", "mpeg4", "mjpeg", "ffv1"}
        if best_codec()[0] in {"libx264", "h264"}:
            assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (scene.width, scene.height)


def test_only_the_object_that_stands_past_its_dwell_raises_an_alarm(street_video):
    scene, path = street_video
    reader, samples = read_samples(path, sample_fps=2.0)
    assert reader.finished and len(samples) == pytest.approx(scene.frames, abs=2)
    alarms = alarms_for(scene, samples, dwell_s=15)
    assert len(alarms) == 1
    t, alarm = alarms[0]
    # The parked object (it stands at x=60, foot at y=215 from 8 s to 45 s), not the brief one
    # (x=150, 20–28 s) nor a passing car; raised after 15 s of dwell, while it is still there.
    x, y = bottom_centre(alarm.event.track.box)
    assert x == pytest.approx(60, abs=6) and y == pytest.approx(215, abs=6)
    assert 8 + 15 <= t <= 45
    for picture in (alarm.snapshot, alarm.first, alarm.last):
        assert picture[:2] == b"\xff\xd8"  # JPEG
    assert alarm.snapshot != alarm.last  # the box and zone are drawn on the snapshot


def test_with_a_dwell_longer_than_any_stay_nothing_is_raised(street_video):
    scene, path = street_video
    _reader, samples = read_samples(path, sample_fps=2.0)
    assert alarms_for(scene, samples, dwell_s=45) == []


def test_with_a_short_dwell_the_brief_stop_raises_too(street_video):
    scene, path = street_video
    _reader, samples = read_samples(path, sample_fps=2.0)
    alarms = alarms_for(scene, samples, dwell_s=4)
    feet = sorted(round(bottom_centre(a.event.track.box)[0] / 10) * 10 for _t, a in alarms)
    assert feet == [60, 150]


def test_sampling_keeps_one_frame_per_interval(street_video):
    scene, path = street_video
    _reader, samples = read_samples(path, sample_fps=0.5)
    assert len(samples) == pytest.approx(scene.duration * 0.5, abs=2)
    gaps = [b.t - a.t for a, b in zip(samples, samples[1:], strict=False)]
    assert min(gaps) >= 1.9


def test_a_dead_stream_is_retried_with_backoff():
    out = queue.Queue()
    reader = CameraReader(
        camera_id=1, url="rtsp://127.0.0.1:9/none", sample_fps=1, out=out, max_backoff_s=0.2
    )
    reader.start()
    try:
        import time

        time.sleep(1.5)
        assert not reader.online
        assert reader.error
        assert reader.is_alive()  # still trying
    finally:
        reader.stop()
        reader.join(5)
