"""Writes to the grid: nodes, boundaries, teams, service points, departments."""

from __future__ import annotations

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from .choices import CHILD_LEVEL, Level
from .geo import area_m2
from .models import GridNode


def _apply_boundary(node: GridNode, geom: BaseGeometry | None) -> None:
    if geom is None:
        node.boundary = None
        node.min_lon = node.min_lat = node.max_lon = node.max_lat = node.area_m2 = None
        return
    if geom.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            {
                "boundary": _("A boundary must be a Polygon or MultiPolygon, not %(kind)s")
                % {"kind": geom.geom_type}
            }
        )
    node.boundary = shapely.to_wkb(geom)
    node.min_lon, node.min_lat, node.max_lon, node.max_lat = geom.bounds
    node.area_m2 = area_m2(geom)


@transaction.atomic
def grid_node_create(
    *,
    code: str,
    name: str,
    level: str,
    parent: GridNode | None = None,
    boundary: BaseGeometry | None = None,
    village_kind: str = "",
) -> GridNode:
    """Create a node under ``parent``; a town has no parent, every other level has one."""
    if level == Level.TOWN:
        if parent is not None:
            raise ValidationError({"parent": _("A town grid has no parent")})
    else:
        if parent is None or CHILD_LEVEL.get(parent.level) != level:
            raise ValidationError(
                {
                    "parent": _("A %(level)s must sit directly under a %(parent)s")
                    % {
                        "level": Level(level).label,
                        "parent": Level(
                            Level.TOWN if level == Level.VILLAGE else Level.VILLAGE
                        ).label,
                    }
                }
            )
    node = GridNode(code=code, name=name, level=level, parent=parent, village_kind=village_kind)
    _apply_boundary(node, boundary)
    node.path = "/"  # provisional: the real path needs the primary key
    node.full_clean(exclude=["path"])
    node.save()
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    GridNode.objects.filter(pk=node.pk).update(path=node.path)
    _boundaries_changed()
    return node


@transaction.atomic
def grid_node_set_boundary(*, node: GridNode, boundary: BaseGeometry | None) -> GridNode:
    _apply_boundary(node, boundary)
    node.save(
        update_fields=[
            "boundary",
            "min_lon",
            "min_lat",
            "max_lon",
            "max_lat",
            "area_m2",
            "updated_at",
        ]
    )
    _boundaries_changed()
    return node


def _boundaries_changed() -> None:
    """Tell locate() to rebuild its index once this transaction commits."""
    from . import locator

    transaction.on_commit(locator.invalidate)
