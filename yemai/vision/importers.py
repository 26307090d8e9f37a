"""Camera registry import (xlsx or CSV): all rows or none.

Columns (English or Chinese headers): code 编号, name 名称, lon 经度, lat 纬度, grid 网格
(optional: located from the point), stream_url 视频流地址, sample_fps 采样频率,
enabled 启用, location 位置. A known code updates that camera (name, stream, rate,
enabled, location); a new code creates one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from yemai.core.importing import RowError, read_table_rows

from . import services
from .models import Camera

COLUMNS = {
    "code": ("code", "编号", "点位编号", "摄像头编号"),
    "name": ("name", "名称", "点位名称"),
    "lon": ("lon", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "grid": ("grid", "grid_code", "网格", "网格编码"),
    "stream_url": ("stream_url", "url", "stream", "视频流地址", "取流地址"),
    "sample_fps": ("sample_fps", "fps", "采样频率"),
    "enabled": ("enabled", "启用"),
    "location": ("location", "位置", "安装位置"),
}
REQUIRED = ("code", "name", "lon", "lat")
TRUE = {"1", "true", "yes", "y", "是", "启用", ""}
FALSE = {"0", "false", "no", "n", "否", "停用"}
MAX_ROWS = 20000
HEADER_SEARCH_ROWS = 10


def _norm(value) -> str:
    return str(value or "").strip().lower().replace(" ", "").replace("_", "")


_HEADERS = {_norm(h): name for name, hs in COLUMNS.items() for h in hs}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def camera_import(*, user, data: bytes) -> ImportResult:
    if not services.may_manage(user):
        raise PermissionDenied(_("Your role may not manage cameras"))
    # the header is looked for in the first ten rows; one row more than allowed is refused
    rows = read_table_rows(data, limit=HEADER_SEARCH_ROWS + MAX_ROWS + 1)
    header_at, columns = -1, {}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = {pos: _HEADERS[_norm(v)] for pos, v in enumerate(row) if _norm(v) in _HEADERS}
        if len(found) > len(columns):
            header_at, columns = index, found
    missing = [c for c in REQUIRED if c not in columns.values()]
    if missing:
        raise ValidationError(
            {"file": [_("Missing columns: %(columns)s") % {"columns": ", ".join(missing)}]}
        )
    body = rows[header_at + 1 :]
    if len(body) > MAX_ROWS:
        raise ValidationError({"file": [_("At most %(n)s rows") % {"n": MAX_ROWS}]})
    result = ImportResult()
    try:
        with transaction.atomic():
            for offset, row in enumerate(body):
                number = header_at + offset + 2
                values = {
                    name: _text(row[pos]) if pos < len(row) else "" for pos, name in columns.items()
                }
                if not any(values.values()):
                    continue
                try:
                    _row(user, values, result)
                except ValidationError as exc:
                    for column, messages in getattr(
                        exc, "message_dict", {"": exc.messages}
                    ).items():
                        result.errors.append(RowError(number, column, "; ".join(messages)))
                except (Http404, PermissionDenied):
                    result.errors.append(RowError(number, "grid", _("Not in your scope")))
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.created = result.updated = 0
    return result


class _Rollback(Exception):
    pass


def _row(user, values: dict, result: ImportResult) -> None:
    enabled_text = values.get("enabled", "").lower()
    if enabled_text not in TRUE | FALSE:
        raise ValidationError({"enabled": [_("Yes or no")]})
    enabled = enabled_text in TRUE
    try:
        rate = float(values.get("sample_fps") or 1.0)
    except ValueError:
        raise ValidationError({"sample_fps": [_("Not a number")]}) from None
    with transaction.atomic():
        existing = Camera.objects.restrict(user).filter(code=values["code"]).first()
        if existing is not None:
            services.camera_update(
                user=user,
                camera=existing,
                name=values["name"],
                location=values.get("location", ""),
                stream_url=values.get("stream_url", ""),
                sample_fps=rate,
                enabled=enabled,
            )
            result.updated += 1
            return
        try:
            lon, lat = float(values["lon"]), float(values["lat"])
        except ValueError:
            raise ValidationError({"lon": [_("Not a longitude/latitude")]}) from None
        services.camera_create(
            user=user,
            code=values["code"],
            name=values["name"],
            lon=lon,
            lat=lat,
            grid_code=values.get("grid", ""),
            stream_url=values.get("stream_url", ""),
            sample_fps=rate,
            enabled=enabled,
            location=values.get("location", ""),
        )
        result.created += 1
