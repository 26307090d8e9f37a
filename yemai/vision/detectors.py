"""Detectors: what is in a frame, as boxes with a label and a score.

Two kinds, behind one interface (``detect(batch) -> list[list[Detection]]``, one list per
frame, boxes in the frame's pixels):

- ``OnnxYoloDetector`` runs any YOLO-format ONNX model (YOLOv5 and YOLOv8/11 output layouts)
  through ONNX Runtime: letterbox, decode, per-class NMS, a class map. The model file is the
  operator's (docs/vision.md says where to get one); CUDA and TensorRT are used when ONNX
  Runtime offers them, the CPU otherwise.
- ``StationaryDetector`` needs no weights: it keeps a long-term and a short-term background
  per camera and reports the regions that differ from the long-term one but match the
  short-term one — something new that has stopped moving (goods outside a shop, a parked
  bike). Moving traffic differs from both and is ignored.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from .geometry import Box

COCO80 = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic_light",
    "fire_hydrant",
    "stop_sign",
    "parking_meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports_ball",
    "kite",
    "baseball_bat",
    "baseball_glove",
    "skateboard",
    "surfboard",
    "tennis_racket",
    "bottle",
    "wine_glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot_dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted_plant",
    "bed",
    "dining_table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell_phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy_bear",
    "hair_drier",
    "toothbrush",
]

# What a city-management zone cares about, from COCO's names: e-bikes are "motorcycle" or
# "bicycle" to a COCO model; goods are chairs, tables, potted plants, boxes (suitcase) …
DEFAULT_CLASS_MAP = {
    "bicycle": "bicycle",
    "motorcycle": "ebike",
    "person": "person",
    "car": "car",
    "truck": "car",
    "bus": "car",
    "chair": "goods",
    "bench": "goods",
    "dining_table": "goods",
    "potted_plant": "goods",
    "suitcase": "goods",
    "umbrella": "goods",
}


@dataclass(frozen=True)
class Detection:
    box: Box
    label: str
    score: float


@dataclass
class FrameIn:
    """One frame of one camera for a batch (``key``: the camera, for stateful detectors)."""

    key: str
    image: np.ndarray  # BGR, uint8
    t: float = 0.0


class Detector:
    name = "detector"

    def detect(self, batch: Sequence[FrameIn]) -> list[list[Detection]]:
        raise NotImplementedError

    def forget(self, key: str) -> None:
        """Drop what is kept about one camera (it went to another worker)."""


# --- ONNX YOLO -------------------------------------------------------------------------------


def letterbox(image: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float, float, float]:
    """Resize keeping the aspect ratio, pad with grey to ``size`` (w, h) → (img, scale, px, py)."""
    h, w = image.shape[:2]
    tw, th = size
    scale = min(tw / w, th / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    px, py = (tw - nw) / 2.0, (th - nh) / 2.0
    out = np.full((th, tw, 3), 114, dtype=np.uint8)
    top, left = int(round(py - 0.1)), int(round(px - 0.1))
    out[top : top + nh, left : left + nw] = resized
    return out, scale, float(left), float(top)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression; indices kept, best first."""
    if len(boxes) == 0:
        return []
    x1, y1, x2, y2 = boxes.T
    areas = np.maximum(0, x2 - x1) * np.maximum(0, y2 - y1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(x1[i], x1[rest])
        yy1 = np.maximum(y1[i], y1[rest])
        xx2 = np.minimum(x2[i], x2[rest])
        yy2 = np.minimum(y2[i], y2[rest])
        inter = np.maximum(0, xx2 - xx1) * np.maximum(0, yy2 - yy1)
        union = areas[i] + areas[rest] - inter
        overlap = np.where(union > 0, inter / np.maximum(union, 1e-9), 0)
        order = rest[overlap <= iou_threshold]
    return keep


def _names_from_metadata(session) -> list[str] | None:
    meta = session.get_modelmeta().custom_metadata_map or {}
    raw = meta.get("names")
    if not raw:
        return None
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        try:
            value = json.loads(raw)
        except ValueError:
            return None
    if isinstance(value, dict):
        return [str(value[k]).replace(" ", "_") for k in sorted(value, key=int)]
    if isinstance(value, list | tuple):
        return [str(v).replace(" ", "_") for v in value]
    return None


def available_providers(wanted: str = "auto") -> list[str]:
    """ONNX Runtime providers to use: TensorRT and CUDA when offered, the CPU always last."""
    import onnxruntime as ort

    offered = ort.get_available_providers()
    if wanted == "cpu":
        return ["CPUExecutionProvider"]
    order = ["TensorrtExecutionProvider", "CUDAExecutionProvider"]
    if wanted == "cuda":
        order = ["CUDAExecutionProvider"]
    return [p for p in order if p in offered] + ["CPUExecutionProvider"]


@dataclass
class OnnxYoloDetector(Detector):
    """A YOLO-format ONNX model. ``class_map`` renames model classes (``motorcycle`` →
    ``ebike``); with a map, classes it does not name are dropped. ``layout`` is ``auto``
    (YOLOv8/11 when the output is (N, 4+C, anchors), YOLOv5 when it is (N, anchors, 5+C)),
    ``v5`` or ``v8``."""

    path: str
    class_map: dict[str, str] | None = None
    names: list[str] | None = None
    conf: float = 0.25
    iou: float = 0.45
    providers: str = "auto"
    layout: str = "auto"
    input_size: int = 640
    max_detections: int = 300
    session: object = field(init=False, repr=False)
    name = "onnx"

    def __post_init__(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=options, providers=available_providers(self.providers)
            )
        except Exception as exc:  # noqa: BLE001 — every ONNX Runtime load error means the same
            raise ValueError(f"cannot load the ONNX model {self.path}: {exc}") from None
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        shape = list(inp.shape)
        if len(shape) != 4:
            raise ValueError(f"{self.path}: the model's input is not an image batch: {shape}")
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        h = shape[2] if isinstance(shape[2], int) else self.input_size
        w = shape[3] if isinstance(shape[3], int) else self.input_size
        self.size = (int(w), int(h))
        if self.names is None:
            self.names = _names_from_metadata(self.session)
        self.provider = self.session.get_providers()[0]

    def _class_name(self, index: int) -> str:
        names = self.names
        if names and 0 <= index < len(names):
            return names[index]
        if names is None and 0 <= index < len(COCO80):
            return COCO80[index]
        return f"class{index}"

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        boxed, scale, px, py = letterbox(image, self.size)
        blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1).astype(np.float32)
        return blob * (1.0 / 255.0), scale, px, py

    def decode(
        self, output: np.ndarray, scale: float, px: float, py: float, shape: tuple[int, int]
    ) -> list[Detection]:
        """One image's raw output (2-D) → detections in the original image's pixels."""
        out = np.asarray(output, dtype=np.float32)
        layout, rows = self.layout, out.shape[0] > out.shape[1]
        nc = len(self.names) if self.names else None
        if nc:
            if out.shape[0] == 4 + nc and out.shape[1] != 4 + nc:
                layout, rows = ("v8" if layout == "auto" else layout), False
            elif out.shape[1] in (4 + nc, 5 + nc):
                rows = True
                if layout == "auto":
                    layout = "v5" if out.shape[1] == 5 + nc else "v8"
        if layout == "auto":
            layout = "v5" if rows else "v8"
        if not rows:
            out = out.T  # (4+C, anchors) → (anchors, 4+C)
        if layout == "v8":
            boxes, cls_scores = out[:, :4], out[:, 4:]
        else:
            boxes, cls_scores = out[:, :4], out[:, 5:] * out[:, 4:5]
        if cls_scores.shape[1] == 0:
            return []
        classes = cls_scores.argmax(axis=1)
        scores = cls_scores[np.arange(len(classes)), classes]
        keep = scores >= self.conf
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        if not len(boxes):
            return []
        cx, cy, w, h = boxes.T
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        xyxy[:, [0, 2]] = (xyxy[:, [0, 2]] - px) / scale
        xyxy[:, [1, 3]] = (xyxy[:, [1, 3]] - py) / scale
        height, width = shape
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, width)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, height)
        # Per-class NMS in one pass: boxes of different classes are moved apart.
        offset = classes[:, None].astype(np.float32) * (max(width, height) + 1.0)
        kept = nms(xyxy + offset, scores, self.iou)[: self.max_detections]
        found = []
        for i in kept:
            label = self._class_name(int(classes[i]))
            if self.class_map is not None:
                if label not in self.class_map:
                    continue
                label = self.class_map[label]
            x1, y1, x2, y2 = (float(v) for v in xyxy[i])
            found.append(Detection((x1, y1, x2, y2), label, float(scores[i])))
        return found

    def detect(self, batch: Sequence[FrameIn]) -> list[list[Detection]]:
        if not batch:
            return []
        prepared = [self.preprocess(f.image) for f in batch]
        results: list[list[Detection]] = []
        step = self.fixed_batch or len(prepared)
        for start in range(0, len(prepared), step):
            chunk = prepared[start : start + step]
            blob = np.stack([p[0] for p in chunk])
            if self.fixed_batch and len(chunk) < self.fixed_batch:
                pad = np.zeros((self.fixed_batch - len(chunk), *blob.shape[1:]), np.float32)
                blob = np.concatenate([blob, pad])
            output = self.session.run(None, {self.input_name: blob})[0]
            for j, (_blob, scale, px, py) in enumerate(chunk):
                frame = batch[start + j].image
                results.append(self.decode(output[j], scale, px, py, frame.shape[:2]))
        return results


# --- model-free stationary objects -----------------------------------------------------------


@dataclass
class _Background:
    long: np.ndarray
    short: np.ndarray
    samples: int = 0
    first: list = field(default_factory=list)


@dataclass
class StationaryDetector(Detector):
    """Newly stationary regions, per camera, with no model.

    Each sample is blurred grey at ``work_width``. The long-term background follows slow
    change (lighting) only where nothing stands (a selective running average, ``long_alpha``
    per sample), so a parked bike never becomes "background" however long it stays (it
    starts as the median of the first ``warmup`` samples); a global
    brightness offset (the median difference) is removed before comparing, so a cloud or the
    evening does not light up the whole frame. The short-term background follows everything
    within a few samples (``short_alpha``). A pixel is *stationary* when it differs from the
    long-term background by more than ``threshold`` but from the short-term one by less than
    ``short_threshold``. Regions of such pixels larger than ``min_area`` (a fraction of the
    frame) are reported as ``object``.
    """

    work_width: int = 320
    long_alpha: float = 0.03
    short_alpha: float = 0.5
    threshold: float = 22.0
    short_threshold: float = 10.0
    min_area: float = 0.002
    warmup: int = 5
    label: str = "object"
    states: dict = field(default_factory=dict, repr=False)
    name = "stationary"

    def forget(self, key: str) -> None:
        self.states.pop(key, None)

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        h, w = image.shape[:2]
        scale = min(1.0, self.work_width / w)
        if scale < 1.0:
            image = cv2.resize(image, (round(w * scale), round(h * scale)), cv2.INTER_AREA)
        if image.ndim == 2:
            image = image[:, :, None]
        # Colour, not grey: a green bike on grey paving has nearly the paving's brightness.
        return cv2.GaussianBlur(image, (5, 5), 0).astype(np.float32).reshape(
            image.shape[0], image.shape[1], -1
        ), scale

    @staticmethod
    def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Largest per-channel difference, each channel's global offset (lighting) removed
        (the offset is the median difference, estimated on every 4th pixel)."""
        d = cv2.subtract(a, b)
        offset = np.median(d[::4, ::4].reshape(-1, d.shape[2]), axis=0)
        d = np.abs(d - offset.astype(np.float32))
        channels = cv2.split(d)
        out = channels[0]
        for channel in channels[1:]:
            out = cv2.max(out, channel)
        return out

    def detect_one(self, frame: FrameIn) -> list[Detection]:
        image, scale = self._prepare(frame.image)
        state = self.states.get(frame.key)
        if state is None or state.long.shape != image.shape:
            state = self.states[frame.key] = _Background(image.copy(), image.copy())
        if state.samples <= self.warmup:
            # The long-term background starts as the median of the first samples: a car that
            # passes while the worker starts is not taken for the empty street.
            state.first.append(image)
            state.long = np.median(np.stack(state.first), axis=0).astype(np.float32)
            cv2.accumulateWeighted(image, state.short, self.short_alpha)
            state.samples += 1
            if state.samples > self.warmup:
                state.first = []
            return []
        foreground = self._difference(image, state.long) > self.threshold
        settled = self._difference(image, state.short) < self.short_threshold
        # Update: the short-term background everywhere, the long-term one where nothing stands
        # (with the global offset, so lighting drift under a parked object is followed too).
        cv2.accumulateWeighted(image, state.short, self.short_alpha)
        offset = np.median(
            (image[::4, ::4] - state.long[::4, ::4]).reshape(-1, image.shape[2]), axis=0
        )
        state.long += (self.long_alpha * offset).astype(np.float32)
        calm = (~foreground).astype(np.uint8)
        cv2.accumulateWeighted(image, state.long, self.long_alpha, mask=calm)
        mask = (foreground & settled).astype(np.uint8) * 255
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
        count, _labels, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
        min_px = self.min_area * image.shape[0] * image.shape[1]
        found = []
        for i in range(1, count):
            x, y, w, h, area = stats[i]
            if area < min_px:
                continue
            box = (x / scale, y / scale, (x + w) / scale, (y + h) / scale)
            fill = area / max(1, w * h)
            found.append(Detection(box, self.label, round(min(1.0, 0.5 + fill / 2), 3)))
        return found

    def detect(self, batch: Sequence[FrameIn]) -> list[list[Detection]]:
        return [self.detect_one(f) for f in batch]


def detector_build(spec: str, **options) -> Detector:
    """``stationary`` or ``onnx:/path/model.onnx`` (options: class_map, conf, iou, providers)."""
    if spec in {"", "stationary"}:
        return StationaryDetector()
    if spec.startswith("onnx:"):
        return OnnxYoloDetector(spec[5:], **options)
    raise ValueError(f"unknown detector {spec!r}: use 'stationary' or 'onnx:/path/model.onnx'")
