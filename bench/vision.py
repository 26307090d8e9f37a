"""Benchmark of the camera AI: the whole pipeline against the bare detector, and cameras per core.

    .venv/bin/python bench/vision.py [--model yolov8n.onnx] [--frames 120] [--providers cpu]

1. **Pipeline vs bare detector** (target ratio ≥ 0.85), on the same decoded frames in the same
   run, for both detectors, with 1 and with 2 worker processes. *Bare*: ``detector.detect`` on
   batches of the frames, nothing else. *Pipeline*: what ``VisionWorker`` does after decoding —
   samples through the worker's queue, batching over 8 cameras, the detector, each camera's
   tracker and zone rules, the evidence JPEGs of alarms. With 2 processes each process takes
   half of the cameras, and the figure is the sum of both.
   The model detector runs ``--model`` when given (e.g. yolov8n.onnx, docs/vision.md says how to
   export it); without one, a synthetic YOLO-shaped network built here with onnx.helper (four
   convolutions, 640×640 in, (1, 84, 6400) out, random weights): its cost is not YOLOv8n's, the
   ratio is what this measures.
2. **Cameras per core at one frame every 5 s, decoding included.** The benchmark encodes a
   1280×720 street stream as cameras send it (H.264 when the installed FFmpeg can, a key frame
   every 2 s), decodes it as the worker does — key frames only at this rate — on one thread,
   and runs the stationary detector on one sample every 5 s. CPU seconds per camera-second →
   cameras one core sustains. Baseline in the same run: decoding every frame.

No GPU here unless ONNX Runtime lists CUDA; the provider used is printed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

CAMERAS = 8


def synthetic_yolo(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits = [], []
    channels = [3, 16, 32, 64]
    prev = "images"
    for i in range(3):
        w = rng.normal(0, 0.1, (channels[i + 1], channels[i], 3, 3)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(
            helper.make_node("Conv", [prev, f"w{i}"], [f"c{i}"], strides=[2, 2], pads=[1, 1, 1, 1])
        )
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        prev = f"r{i}"
    w = rng.normal(0, 0.01, (84, 64, 1, 1)).astype(np.float32)
    b = np.full(84, -6.0, np.float32)  # class scores near 0: few boxes, as in a real street
    inits += [
        numpy_helper.from_array(w, "wh"),
        numpy_helper.from_array(b, "bh"),
        numpy_helper.from_array(np.array([0, 84, -1], np.int64), "shape"),
    ]
    nodes += [
        helper.make_node("Conv", [prev, "wh", "bh"], ["head"]),
        helper.make_node("Sigmoid", ["head"], ["sig"]),
        helper.make_node("Reshape", ["sig", "shape"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "bench-yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["N", 84, 6400])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def make_detector(kind: str, model: str, providers: str):
    from yemai.vision.detectors import OnnxYoloDetector, StationaryDetector

    if kind == "stationary":
        return StationaryDetector()
    return OnnxYoloDetector(model, providers=providers, conf=0.25)


def frames_for(n: int):
    from yemai.vision.synth import render, street_scene

    scene = street_scene(width=640, height=480, fps=2.0)
    scene.duration = n / scene.fps
    return scene, [image for _t, image in render(scene)]


def bare(detector, frames, cameras: list[int]) -> float:
    from yemai.vision.detectors import FrameIn

    batch = []
    start = time.perf_counter()
    count = 0
    for i, image in enumerate(frames):
        for cam in cameras:
            batch.append(FrameIn(f"c{cam}", image, i * 0.5))
            if len(batch) == 8:
                detector.detect(batch)
                count += len(batch)
                batch = []
    if batch:
        detector.detect(batch)
        count += len(batch)
    return count / (time.perf_counter() - start)


def pipeline(detector, frames, cameras: list[int], scene) -> tuple[float, int]:
    from yemai.vision.pipeline import CameraPipeline, ZoneSpec
    from yemai.vision.streams import CameraReader, Sample
    from yemai.vision.tracking import ZoneRule
    from yemai.vision.worker import CameraRun, VisionWorker

    worker = VisionWorker(detector=detector, api=None, name="bench", batch=8)
    zone = ZoneRule(
        1, "pavement", "no_parking", [tuple(p) for p in scene.zone], dwell_s=15, cooldown_s=3600
    )
    for cam in cameras:
        reader = CameraReader(camera_id=cam, url="", sample_fps=2, out=worker.queue)
        run = CameraRun(
            cam,
            f"c{cam}",
            reader,
            CameraPipeline(f"c{cam}", [ZoneSpec(zone, scene.width, scene.height)]),
        )
        run.snapshot_at = float("inf")  # no database in the benchmark
        worker.runs[cam] = run
    alarms = 0
    count = 0
    start = time.perf_counter()
    pending = [(i, cam) for i in range(len(frames)) for cam in cameras]
    while pending or not worker.queue.empty():
        while pending:
            i, cam = pending[0]
            try:
                worker.queue.put_nowait(Sample(cam, frames[i], i * 0.5, time.time()))
            except queue.Full:
                break
            pending.pop(0)
        batch = worker.take_batch(0.0)
        count += len(batch)
        alarms += len(worker.process(batch))
    return count / (time.perf_counter() - start), alarms


def _job(args):
    """In one process: bare and pipeline alternately, three times each → (best bare fps, best
    pipeline fps, alarms of one pipeline run)."""
    kind, model, providers, frames_path, cameras = args
    import django

    django.setup()
    from yemai.vision.detectors import FrameIn
    from yemai.vision.synth import street_scene

    scene = street_scene(width=640, height=480, fps=2.0)
    frames = list(np.load(frames_path))
    best_bare = best_pipe = 0.0
    alarms = 0
    for _rep in range(3):
        detector = make_detector(kind, model, providers)
        detector.detect([FrameIn("warm", frames[0])])
        best_bare = max(best_bare, bare(detector, frames, cameras))
        detector = make_detector(kind, model, providers)
        detector.detect([FrameIn("warm", frames[0])])
        fps, alarms = pipeline(detector, frames, cameras, scene)
        best_pipe = max(best_pipe, fps)
    return best_bare, best_pipe, alarms


def measure(kind, model, providers, frames_path, processes: int):
    """(bare fps, pipeline fps, alarms) summed over ``processes`` processes."""
    shares = [list(range(p, CAMERAS, processes)) for p in range(processes)]
    with mp.get_context("spawn").Pool(processes) as pool:
        out = pool.map(_job, [(kind, model, providers, frames_path, s) for s in shares])
    return sum(o[0] for o in out), sum(o[1] for o in out), sum(o[2] for o in out)


def cameras_per_core(tmp: Path) -> list[tuple[str, float, float]]:
    import av

    from yemai.vision.detectors import FrameIn, StationaryDetector
    from yemai.vision.synth import best_codec, street_scene, write_video

    codec, suffix = best_codec()
    scene = street_scene(width=1280, height=720, fps=12.5)
    scene.duration = 30
    path = write_video(scene, tmp / f"cam720{suffix}", codec=codec, gop=25)
    rows = []
    for label, keyframes in (
        ("decode every frame (baseline)", False),
        ("key frames only (the worker at 0.2 fps)", True),
    ):
        detector = StationaryDetector()
        cpu = time.process_time()
        samples = 0
        next_t = 0.0
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "SLICE"
            stream.codec_context.thread_count = 1
            if keyframes:
                stream.codec_context.skip_frame = "NONKEY"
            for frame in container.decode(stream):
                if frame.time is None or frame.time + 1e-6 < next_t:
                    continue
                next_t += 5.0
                image = frame.to_ndarray(format="bgr24")
                import cv2

                image = cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA)
                detector.detect([FrameIn("c", image)])
                samples += 1
        used = time.process_time() - cpu
        per_camera_second = used / scene.duration
        rows.append((f"{label} [{codec}]", samples, 1.0 / per_camera_second))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="a YOLO ONNX model (default: synthetic)")
    parser.add_argument("--providers", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--frames", type=int, default=60, help="frames per camera")
    args = parser.parse_args()
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = args.model or str(synthetic_yolo(tmp / "bench-yolo.onnx"))
        _scene, frames = frames_for(args.frames)
        frames_path = str(tmp / "frames.npy")
        np.save(frames_path, np.stack(frames))
        print(
            f"ONNX Runtime {ort.__version__}, providers offered: "
            f"{ort.get_available_providers()}; model: {args.model or 'synthetic YOLO-shaped'}"
        )
        print(f"{CAMERAS} cameras × {args.frames} frames of 640×480; batches of 8\n")
        print(
            f"{'detector':<12}{'procs':>6}{'bare fps':>12}{'pipeline fps':>14}"
            f"{'ratio':>8}{'alarms':>8}"
        )
        worst = 1.0
        for kind in ("stationary", "onnx"):
            for processes in (1, 2):
                b, p, alarms = measure(kind, model, args.providers, frames_path, processes)
                worst = min(worst, p / b)
                print(f"{kind:<12}{processes:>6}{b:>12.1f}{p:>14.1f}{p / b:>8.2f}{alarms:>8}")
        print(f"\ntarget ratio ≥ 0.85: {'met' if worst >= 0.85 else 'MISSED'} (worst {worst:.2f})")
        print(
            "\ncameras one core sustains at one frame every 5 s, decoding included "
            "(1280×720 stream, key frame every 2 s, 30 s):"
        )
        for label, samples, cams in cameras_per_core(tmp):
            print(f"  {label:<52} {samples:>3} samples  {cams:>8.0f} cameras/core")
    return 0


if __name__ == "__main__":
    import django

    django.setup()
    sys.exit(main())
