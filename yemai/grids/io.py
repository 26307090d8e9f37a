"""Import and export of grid boundaries (GeoJSON, zipped Shapefile).

The command line (``yemai grids …``), the API and the admin all call these; locating a CSV
of points (``yemai locate --csv``) is in ``points.py``.

An import is all or nothing: every feature is read and checked, every problem is reported
with the feature's number and code, and only a clean file is written — in one transaction
that creates or updates each grid by code (so importing the same file twice changes nothing
the second time) and then checks the resulting tree with ``validation``. Gaps come back as
warnings; they never stop an import.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from . import coords, formats, services
from .choices import Level, VillageKind
from .codes import code_errors, level_from_code
from .models import GridNode
from .validation import boundary_check, geometry_errors

_ALIASES = {
    "code": {"code", "grid_code", "gridcode", "编码", "网格编码", "代码"},
    "name": {"name", "grid_name", "gridname", "名称", "网格名称"},
    "level": {"level", "层级", "级别"},
    "parent": {"parent", "parent_code", "parent_cod", "上级", "上级编码"},
    "village_kind": {"village_kind", "village_ki", "vill_kind", "类型", "村社类型"},
}
_LEVELS = {
    Level.TOWN: {"town", "镇", "街道", "乡", "镇街", "镇总网格"},
    Level.VILLAGE: {"village", "村", "社区", "村居", "村居网格"},
    Level.MICRO: {"micro", "micro-grid", "micro_grid", "微网格"},
}
_KINDS = {VillageKind.VILLAGE: {"village", "村"}, VillageKind.COMMUNITY: {"community", "社区"}}
_ORDER = {Level.TOWN: 0, Level.VILLAGE: 1, Level.MICRO: 2}


@dataclass
class FeatureIn:
    index: int
    code: str
    name: str
    level: str
    parent_code: str | None
    village_kind: str
    geom: BaseGeometry


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    format: str = ""
    encoding: str = ""
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class BoundaryImportError(ValidationError):
    """Nothing was imported; ``report.errors`` says why, feature by feature."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__({"file": report.errors})


class _DryRun(Exception):
    pass


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code stored in a numeric DBF column
    return str(value).strip()


def _pick(props: dict, key: str) -> str:
    lowered = {str(k).strip().lower(): v for k, v in props.items()}
    for alias in _ALIASES[key]:
        if alias in lowered and _text(lowered[alias]):
            return _text(lowered[alias])
    return ""


def _choice(value: str, table: dict) -> str | None:
    value = value.strip().lower()
    for key, words in table.items():
        if value in words:
            return key
    return None


def _parse(raw: formats.RawFeature, crs: str) -> tuple[FeatureIn | None, list[str]]:
    """A file feature to a grid node's fields, with every reason it cannot be one."""
    errors = [raw.error] if raw.error else []
    code, name = _pick(raw.properties, "code"), _pick(raw.properties, "name")
    if not code:
        errors.append(_("it has no code (a property named code)"))
    if not name:
        errors.append(_("it has no name (a property named name)"))
    level_text = _pick(raw.properties, "level")
    level = _choice(level_text, _LEVELS) if level_text else level_from_code(code)
    if level is None and not level_text and code:
        errors.append(
            _("its code has %(n)s characters: a town has 9 digits, a village 12, a micro-grid 15")
            % {"n": len(code)}
        )
    elif level is None:
        errors.append(
            _("its level %(level)s is none of town, village, micro") % {"level": level_text or "?"}
        )
    parent_code = _pick(raw.properties, "parent") or None
    if level and level != Level.TOWN and parent_code is None and len(code) > 3:
        parent_code = code[:-3]
    if level == Level.TOWN:
        parent_code = None
    if code and level:
        errors += code_errors(code, level, parent_code)
    kind_text = _pick(raw.properties, "village_kind")
    kind = _choice(kind_text, _KINDS) if kind_text else ""
    if kind is None:
        errors.append(
            _("its village kind %(kind)s is neither village nor community") % {"kind": kind_text}
        )
    if level == Level.VILLAGE and not kind:
        kind = VillageKind.COMMUNITY if name.endswith("社区") else VillageKind.VILLAGE
    if level != Level.VILLAGE:
        kind = ""
    geom = raw.geom
    if geom is None and not raw.error:
        errors.append(_("it has no geometry"))
    elif geom is not None:
        # Surveying tools often write PolygonZ: heights mean nothing to a grid boundary.
        geom = coords.transform_geometry(shapely.force_2d(geom), crs)
        errors += [issue.message for issue in geometry_errors(code or "?", geom)]
    if errors:
        return None, errors
    return FeatureIn(raw.index, code, name, level, parent_code, kind, geom), []


def _feature_label(index: int, code: str) -> str:
    return _("Feature %(index)s (%(code)s)") % {"index": index, "code": code or "?"}


def _feature_problem(label: str, problem: str) -> str:
    return _("%(feature)s: %(problem)s") % {"feature": label, "problem": problem}


def _plan(features: list[FeatureIn], user, errors: list[str]) -> dict[str, GridNode]:
    """Existing nodes by code; every feature that may not be written becomes an error."""
    codes = [f.code for f in features]
    wanted = set(codes) | {f.parent_code for f in features if f.parent_code}
    existing = {
        n.code: n for n in GridNode.objects.filter(code__in=wanted).select_related("parent")
    }
    visible = existing
    if user is not None:
        visible = {n.code: n for n in GridNode.objects.restrict(user).filter(code__in=wanted)}
    in_file = {f.code: f for f in features}
    for f in features:
        label = _feature_label(f.index, f.code)
        node = existing.get(f.code)
        if node is not None:
            if f.code not in visible:
                errors.append(
                    _("%(feature)s: grid %(code)s is outside your scope")
                    % {"feature": label, "code": f.code}
                )
                continue
            old_parent = node.parent.code if node.parent_id else None
            if node.level != f.level or old_parent != f.parent_code:
                errors.append(
                    _(
                        "%(feature)s: grid %(code)s already exists as a %(level)s under %(parent)s; an import cannot move it"
                    )
                    % {
                        "feature": label,
                        "code": f.code,
                        "level": node.level,
                        "parent": old_parent or "-",
                    }
                )
            continue
        if f.parent_code is None:
            if user is not None and not user.is_unrestricted:
                errors.append(
                    _("%(feature)s: only an unrestricted account may add a town")
                    % {"feature": label}
                )
        elif f.parent_code in in_file:
            parent = in_file[f.parent_code]
            if _ORDER[parent.level] != _ORDER[f.level] - 1:
                errors.append(
                    _("%(feature)s: its parent %(parent)s is not one level above it")
                    % {"feature": label, "parent": f.parent_code}
                )
        elif f.parent_code not in visible:
            errors.append(
                _("%(feature)s: its parent %(parent)s is neither in the file nor in your grids")
                % {"feature": label, "parent": f.parent_code}
            )
    return existing


def _write(
    features: list[FeatureIn], existing: dict[str, GridNode], report: ImportReport, progress: bool
):
    nodes = dict(existing)
    ordered = sorted(features, key=lambda f: (_ORDER[f.level], f.code))
    for f in tqdm(
        ordered, desc=_("Writing grids"), unit="grid", disable=not progress, file=sys.stderr
    ):
        try:
            _write_one(f, nodes, report)
        except ValidationError as exc:
            label = _feature_label(f.index, f.code)
            report.errors += [_feature_problem(label, m) for m in exc.messages]
            raise BoundaryImportError(report) from None
    return nodes


def _write_one(f: FeatureIn, nodes: dict[str, GridNode], report: ImportReport) -> None:
    node = nodes.get(f.code)
    if node is None:
        nodes[f.code] = services.grid_node_create(
            code=f.code,
            name=f.name,
            level=f.level,
            parent=nodes[f.parent_code] if f.parent_code else None,
            boundary=f.geom,
            village_kind=f.village_kind,
            check=False,
        )
        report.created.append(f.code)
        return
    old = node.geometry
    # normalize(): a Shapefile turns rings clockwise, which is no change of shape.
    same_shape = old is not None and shapely.equals_exact(
        shapely.normalize(old), shapely.normalize(f.geom), tolerance=1e-9
    )
    if node.name == f.name and node.village_kind == f.village_kind and same_shape:
        report.unchanged.append(f.code)
        return
    services.grid_node_update(node=node, name=f.name, village_kind=f.village_kind)
    if not same_shape:
        services.grid_node_set_boundary(node=node, boundary=f.geom, check=False)
    report.updated.append(f.code)


def _check_written(features: list[FeatureIn], nodes: dict[str, GridNode], report: ImportReport):
    """Check the subtrees the import touched; keep the errors that involve a file feature."""
    tops = {
        (nodes.get(f.parent_code) or nodes[f.code]) if f.parent_code else nodes[f.code]
        for f in features
    }
    roots = [n for n in tops if not any(o is not n and n.path.startswith(o.path) for o in tops)]
    index_of = {f.code: f.index for f in features}
    for root in sorted(roots, key=lambda n: n.code):
        result = boundary_check(root=root)
        for issue in result.errors:
            involved = [c for c in (issue.code, issue.other) if c in index_of]
            if involved:
                label = _("Feature %(index)s") % {"index": index_of[involved[0]]}
                report.errors.append(_feature_problem(label, issue.message))
        report.warnings += [issue.message for issue in result.warnings]


def grid_boundaries_import(
    *,
    data: bytes,
    filename: str = "",
    crs: str = coords.WGS84,
    encoding: str | None = None,
    user=None,
    dry_run: bool = False,
    progress: bool = False,
) -> ImportReport:
    """Import boundaries; raise BoundaryImportError (a ValidationError) and write nothing if bad.

    ``user`` limits the import to the user's scope (None: the command line, unrestricted).
    """
    crs = coords.normalize_crs(crs)
    try:
        layer = formats.read_layer(data, filename=filename, encoding=encoding)
    except ValidationError as exc:
        raise BoundaryImportError(ImportReport(errors=exc.messages, dry_run=dry_run)) from None
    report = ImportReport(format=layer.format, encoding=layer.encoding, dry_run=dry_run)
    report.warnings += layer.notes or []
    features, seen = [], {}
    for raw in tqdm(
        layer.features,
        desc=_("Reading features"),
        unit="feature",
        disable=not progress,
        file=sys.stderr,
    ):
        feature, problems = _parse(raw, crs)
        code = feature.code if feature else _pick(raw.properties, "code")
        label = _feature_label(raw.index, code)
        report.errors += [_feature_problem(label, p) for p in problems]
        if feature is None:
            continue
        if feature.code in seen:
            report.errors.append(
                _("%(feature)s: code %(code)s repeats feature %(other)s")
                % {"feature": label, "code": feature.code, "other": seen[feature.code]}
            )
            continue
        seen[feature.code] = raw.index
        features.append(feature)
    if not layer.features:
        report.errors.append(_("The file holds no features"))
    if report.errors:
        raise BoundaryImportError(report)
    existing = _plan(features, user, report.errors)
    if report.errors:
        raise BoundaryImportError(report)
    try:
        with transaction.atomic():
            nodes = _write(features, existing, report, progress)
            _check_written(features, nodes, report)
            if report.errors:
                raise BoundaryImportError(report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def load_file(path: str | Path) -> tuple[bytes, str]:
    """A file's bytes; a bare ``.shp`` is zipped with the ``.shx/.dbf/.prj/.cpg`` beside it."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return path.read_bytes(), path.name
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for sibling in path.parent.glob(path.stem + ".*"):
            if sibling.suffix.lower() in {".shp", ".shx", ".dbf", ".prj", ".cpg"}:
                archive.write(sibling, sibling.name)
    return buffer.getvalue(), path.name + ".zip"


# --- export --------------------------------------------------------------------------------


def _rows(root: GridNode | None, crs: str, queryset=None) -> list[tuple[dict, BaseGeometry | None]]:
    nodes = queryset if queryset is not None else GridNode.objects.all()
    if root is not None:
        nodes = nodes.filter(path__startswith=root.path)
    rows = []
    for node in nodes.select_related("parent").order_by("code"):
        geom = node.geometry
        props = {
            "code": node.code,
            "name": node.name,
            "level": node.level,
            "parent": node.parent.code if node.parent_id else None,
            "village_kind": node.village_kind or None,
            "area_m2": round(node.area_m2, 1) if node.area_m2 is not None else None,
        }
        rows.append((props, coords.transform_geometry(geom, coords.WGS84, crs) if geom else None))
    return rows


def grid_boundaries_geojson(
    *, root: GridNode | None = None, crs: str = coords.WGS84, queryset=None
) -> dict:
    """A subtree as a GeoJSON FeatureCollection (properties code, name, level, parent, …)."""
    return formats.write_geojson(_rows(root, coords.normalize_crs(crs), queryset))


def grid_boundaries_shapefile(*, root: GridNode | None = None, queryset=None) -> bytes:
    """A subtree as a zipped Shapefile: UTF-8 attributes (.cpg) and WGS-84 (.prj)."""
    layer = f"grids_{root.code}" if root is not None else "grids"
    return formats.write_shapefile_zip(_rows(root, coords.WGS84, queryset), layer=layer)
