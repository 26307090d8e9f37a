"""The model detector against a tiny ONNX model built here (known raw output → known boxes),
and the model-free stationary detector on drawn frames."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from yemai.vision.detectors import (
    FrameIn,
    OnnxYoloDetector,
    StationaryDetector,
    detector_build,
    letterbox,
    nms,
)

NAMES = ["person", "bicycle", "motorcycle"]


def tiny_yolo(path, raw: np.ndarray, *, size=64, batch="N", names=NAMES) -> str:
    """A model whose output is ``raw`` (1, A, B) for every image: Constant + 0·mean(input)
    broadcast, so it really reads its input and runs through ONNX Runtime."""
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 3, size, size])
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, [batch, *raw.shape[1:]])
    const = helper.make_tensor("raw", TensorProto.FLOAT, raw.shape, raw.flatten().tolist())
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0])
    shape = helper.make_tensor("shape", TensorProto.INT64, [3], [-1, 1, 1])
    nodes = [
        helper.make_node("Constant", [], ["raw_c"], value=const),
        helper.make_node("Constant", [], ["zero_c"], value=zero),
        helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Constant", [], ["shape_c"], value=shape),
        helper.make_node("Reshape", ["m", "shape_c"], ["m3"]),
        helper.make_node("Mul", ["m3", "zero_c"], ["m0"]),
        helper.make_node("Add", ["raw_c", "m0"], ["output0"]),
    ]
    graph = helper.make_graph(nodes, "tiny", [images], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    if names is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = "names", str(dict(enumerate(names)))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


def v8_raw(rows) -> np.ndarray:
    """rows of (cx, cy, w, h, *class scores) → the YOLOv8 layout (1, 4+C, anchors)."""
    return np.array(rows, dtype=np.float32).T[None]


def test_it_decodes_yolov8_output_undoing_the_letterbox(tmp_path):
    # A 128×64 image letterboxed into 64×64: scale 0.5, 16 px grey bands above and below.
    raw = v8_raw([[32, 32, 20, 10, 0.1, 0.9, 0.0]])
    det = OnnxYoloDetector(tiny_yolo(tmp_path / "m.onnx", raw))
    image = np.zeros((64, 128, 3), np.uint8)
    (found,) = det.detect([FrameIn("c", image)])
    assert len(found) == 1
    assert found[0].label == "bicycle"
    assert found[0].score == pytest.approx(0.9)
    assert found[0].box == pytest.approx((44, 22, 84, 42), abs=0.01)


def test_it_suppresses_overlapping_boxes_of_a_class_and_keeps_other_classes(tmp_path):
    raw = v8_raw(
        [
            [32, 32, 20, 20, 0.0, 0.9, 0.0],  # kept
            [33, 32, 20, 20, 0.0, 0.8, 0.0],  # same class, IoU ~0.9: suppressed
            [33, 32, 20, 20, 0.0, 0.0, 0.7],  # other class, same place: kept
            [10, 10, 6, 6, 0.0, 0.2, 0.0],  # below the score threshold
        ]
    )
    det = OnnxYoloDetector(tiny_yolo(tmp_path / "m.onnx", raw), conf=0.25)
    (found,) = det.detect([FrameIn("c", np.zeros((64, 64, 3), np.uint8))])
    assert sorted((d.label, round(d.score, 2)) for d in found) == [
        ("bicycle", 0.9),
        ("motorcycle", 0.7),
    ]


def test_it_reads_the_yolov5_layout_with_objectness(tmp_path):
    raw = np.array([[[32, 32, 16, 16, 0.5, 0.1, 0.1, 0.9]]], np.float32)  # (1, anchors, 5+C)
    det = OnnxYoloDetector(tiny_yolo(tmp_path / "m.onnx", raw), layout="v5")
    (found,) = det.detect([FrameIn("c", np.zeros((64, 64, 3), np.uint8))])
    assert [(d.label, round(d.score, 2)) for d in found] == [("motorcycle", 0.45)]


def test_a_class_map_renames_and_drops_what_it_does_not_name(tmp_path):
    raw = v8_raw([[16, 16, 8, 8, 0.9, 0, 0], [48, 48, 8, 8, 0, 0, 0.8]])
    det = OnnxYoloDetector(tiny_yolo(tmp_path / "m.onnx", raw), class_map={"motorcycle": "ebike"})
    (found,) = det.detect([FrameIn("c", np.zeros((64, 64, 3), np.uint8))])
    assert [d.label for d in found] == ["ebike"]


def test_a_batch_of_frames_gives_one_list_per_frame(tmp_path):
    raw = v8_raw([[32, 32, 10, 10, 0, 0.9, 0]])
    det = OnnxYoloDetector(tiny_yolo(tmp_path / "m.onnx", raw))
    frames = [FrameIn(str(i), np.zeros((64, 64, 3), np.uint8)) for i in range(5)]
    results = det.detect(frames)
    assert len(results) == 5 and all(len(r) == 1 for r in results)


def test_a_missing_or_broken_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="cannot load the ONNX model"):
        detector_build(f"onnx:{bad}")
    with pytest.raises(ValueError, match="unknown detector"):
        detector_build("magic")


def test_letterbox_and_nms_helpers():
    image = np.full((50, 100, 3), 255, np.uint8)
    boxed, scale, px, py = letterbox(image, (64, 64))
    assert boxed.shape == (64, 64, 3) and scale == pytest.approx(0.64)
    assert (px, py) == (0.0, 16.0)
    assert boxed[0, 0, 0] == 114 and boxed[32, 32, 0] == 255
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    assert nms(boxes, np.array([0.9, 0.8, 0.7]), 0.5) == [0, 2]


def _street(seed=1):
    rng = np.random.default_rng(seed)
    return rng.integers(60, 120, (120, 160, 3)).astype(np.uint8)


def test_the_stationary_detector_reports_a_new_still_object_and_not_a_moving_one():
    det = StationaryDetector(work_width=160)
    base = _street()
    rng = np.random.default_rng(2)
    found = []
    for i in range(13):
        frame = base.copy()
        frame[70:100, 20:50] = (30, 160, 30)  # stands still from frame 6 on
        if i < 6:
            frame[70:100, 20:50] = base[70:100, 20:50]
        if i >= 5:  # a car crossing the top
            x = 12 * (i - 5)
            frame[10:30, x : x + 30] = (200, 40, 40)
        frame = np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)
        found = det.detect([FrameIn("cam", frame)])[0]
    assert len(found) == 1
    x1, y1, x2, y2 = found[0].box
    assert (x1, y1) == pytest.approx((20, 70), abs=3)
    assert (x2, y2) == pytest.approx((50, 100), abs=3)


def test_the_stationary_detector_ignores_a_global_change_of_light():
    det = StationaryDetector(work_width=160)
    base = _street().astype(np.int16)
    for i in range(10):
        frame = np.clip(base + 6 * i, 0, 255).astype(np.uint8)  # getting brighter
        found = det.detect([FrameIn("cam", frame)])[0]
    assert found == []
