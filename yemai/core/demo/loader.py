"""Writing a ``TownPlan`` into the database, and wiping it again (``--reset``).

Grids, departments, service points, teams and team members go through their services
(``grid_node_create`` checks every boundary against its parent and siblings, so the demo
layout is checked as any imported one would be). Cameras, organisations, houses, households and
about 60,000 residents are ``bulk_create``d: the demo is a fixture loader, one service call per
row would take minutes. Nothing is skipped by doing so: encrypted fields encrypt themselves on
save, hashes come from ``people.services.id_number_hash`` / ``phone_hash``, and every value was
made to pass the same checks (GB 11643 ID numbers, mobile numbers, GB 32100 credit codes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from tqdm import tqdm

from yemai.accounts.models import User
from yemai.grids.models import GridNode, TeamMember
from yemai.grids.services import (
    department_create,
    grid_node_create,
    service_point_create,
    team_ensure_all,
    team_member_add,
)
from yemai.people.choices import CARE_TAGS, RESTRICTED_TAGS
from yemai.people.models import House, Household, Organisation, Resident, Tag
from yemai.people.services import id_number_hash, phone_hash
from yemai.vision.models import Camera

from .plan import TownPlan

BATCH = 2000


def has_grids() -> bool:
    return GridNode.objects.exists()


def _bar(desc: str, total: int, progress: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit="", disable=not progress, leave=True, ncols=90)


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _grids(plan: TownPlan, progress: bool) -> dict[str, GridNode]:
    nodes: dict[str, GridNode] = {}
    with _bar("网格 grids", 1 + len(plan.villages) + len(plan.micro_grids), progress) as bar:
        for grid in [plan.town, *plan.villages, *plan.micro_grids]:
            nodes[grid.code] = grid_node_create(
                code=grid.code,
                name=grid.name,
                level=grid.level,
                parent=nodes.get(grid.parent),
                boundary=grid.boundary,
                village_kind=grid.village_kind,
            )
            bar.update()
    return nodes


def _teams(plan: TownPlan, nodes: dict[str, GridNode], progress: bool) -> list[TeamMember]:
    """The three teams of each micro-grid and their members, in the plan's order."""
    by_key = {
        (g.code, team.kind): team
        for g in plan.micro_grids
        for team in team_ensure_all(grid=nodes[g.code])
    }
    rows = []
    with _bar("团队 team members", len(plan.members), progress) as bar:
        for m in plan.members:
            member = team_member_add(
                team=by_key[(m.grid_code, m.team)],
                name=m.name,
                phone=m.phone,
                is_leader=m.is_leader,
                duty=m.duty,
                duty_tags=m.duty_tags,
                area=m.area,
                area_note=m.area_note,
            )
            rows.append(member)
            bar.update()
    return rows


def _places(plan: TownPlan, nodes: dict[str, GridNode], progress: bool) -> None:
    town = nodes[plan.town.code]
    for code, name, phone in plan.departments:
        department_create(grid=town, code=code, name=name, phone=phone)
    for point in plan.service_points:
        service_point_create(
            grid=nodes[point.grid_code],
            name=point.name,
            lon=point.lon,
            lat=point.lat,
            address=point.address,
            opening_hours=point.extra["hours"],
            phone=point.extra["phone"],
            micro_grids=[nodes[c] for c in point.extra["serves"]],
        )
    with _bar("摄像头 cameras", len(plan.cameras), progress) as bar:
        for chunk in _chunks(plan.cameras):
            Camera.objects.bulk_create(
                Camera(
                    grid=nodes[c.grid_code],
                    code=c.code,
                    name=c.name,
                    lon=c.lon,
                    lat=c.lat,
                    stream_url=c.extra["url"],
                    # made-up addresses: registered (on the map, with their zones) but not
                    # watched, so that a worker started on the demo watches only real streams
                    enabled=False,
                )
                for c in chunk
            )
            bar.update(len(chunk))
    with _bar("商户企业 organisations", len(plan.organisations), progress) as bar:
        for chunk in _chunks(plan.organisations):
            Organisation.objects.bulk_create(
                Organisation(
                    grid=nodes[o.grid_code],
                    name=o.name,
                    kind=o.kind,
                    credit_code=o.code,
                    address=o.address,
                    lon=o.lon,
                    lat=o.lat,
                    contact_name=o.extra["contact"],
                    contact_phone=o.extra["phone"],
                )
                for o in chunk
            )
            bar.update(len(chunk))


def _people(plan: TownPlan, nodes: dict[str, GridNode], progress: bool) -> None:
    grid_ids = {code: node.pk for code, node in nodes.items()}
    with _bar("房屋 houses", len(plan.houses), progress) as bar:
        house_ids: list[int] = []
        for chunk in _chunks(plan.houses):
            created = House.objects.bulk_create(
                House(
                    grid_id=grid_ids[h.grid_code],
                    code=h.code,
                    address=h.address,
                    lon=h.lon,
                    lat=h.lat,
                    use=h.use,
                )
                for h in chunk
            )
            house_ids += [h.pk for h in created]
            bar.update(len(chunk))
    with _bar("户 households", len(plan.households), progress) as bar:
        household_ids: list[int] = []
        for chunk in _chunks(plan.households):
            created = Household.objects.bulk_create(
                Household(
                    grid_id=grid_ids[h.grid_code], number=h.number, house_id=house_ids[h.house]
                )
                for h in chunk
            )
            household_ids += [h.pk for h in created]
            bar.update(len(chunk))
    tags = {t.name: t.pk for t in Tag.objects.all()}
    Through = Resident.tags.through
    with _bar("居民 residents", len(plan.people), progress) as bar:
        person_ids: list[int] = []
        for chunk in _chunks(plan.people):
            created = Resident.objects.bulk_create(
                Resident(
                    grid_id=grid_ids[p.grid_code],
                    name=p.name,
                    id_number=p.id_number,
                    id_number_hash=id_number_hash(p.id_number),
                    birth_date=p.birth_date,
                    sex=p.sex,
                    phone=p.phone,
                    phone_hash=phone_hash(p.phone) if p.phone else "",
                    registration=p.registration,
                    household_id=household_ids[p.household],
                    house_id=house_ids[p.house],
                )
                for p in chunk
            )
            ids = [r.pk for r in created]
            person_ids += ids
            Through.objects.bulk_create(
                Through(resident_id=pk, tag_id=tags[tag])
                for pk, p in zip(ids, chunk, strict=True)
                for tag in p.tags
            )
            bar.update(len(chunk))
    # Landlords are residents, who exist only now. One prepared UPDATE for ~10,000 houses:
    # bulk_update builds a CASE per batch and takes seconds for the same work.
    qn = connection.ops.quote_name
    table, column = qn(House._meta.db_table), qn(House._meta.get_field("landlord").column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
            [
                (person_ids[h.landlord], house_ids[i])
                for i, h in enumerate(plan.houses)
                if h.landlord >= 0
            ],
        )


def _ensure_tags() -> None:
    """The tag list is seeded by a migration; a reset database may have lost it."""
    for names, restricted in ((CARE_TAGS, False), (RESTRICTED_TAGS, True)):
        for name in names:
            Tag.objects.get_or_create(name=name, defaults={"restricted": restricted})


@dataclass
class Loaded:
    nodes: dict[str, GridNode]  # by code
    members: list[TeamMember]  # in the plan's order


@transaction.atomic
def load_town(plan: TownPlan, *, progress: bool = True) -> Loaded:
    """Write the whole plan in one transaction: all of it, or nothing."""
    _ensure_tags()
    nodes = _grids(plan, progress)
    members = _teams(plan, nodes, progress)
    _places(plan, nodes, progress)
    _people(plan, nodes, progress)
    return Loaded(nodes, members)


def _models_hanging_from_grids() -> tuple[list, list]:
    """The models whose rows cannot live without a grid or a user (a required relation to one,
    directly or through others), and the (model, field) pairs of optional relations to them.

    Optional relations are cleared rather than followed: the taxonomy's owning department,
    say, goes with the town, but the category itself is reference data and stays."""
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    found = {GridNode, User}
    changed = True
    while changed:
        changed = False
        for model in models:
            if model in found:
                continue
            if any(
                f.is_relation and f.related_model in found and not f.null
                for f in model._meta.concrete_fields
            ):
                found.add(model)
                changed = True
    optional = [
        (model, f)
        for model in models
        if model not in found
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model in found and f.null
    ]
    return sorted(found, key=lambda m: m._meta.label), optional


@transaction.atomic
def reset_demo_data() -> list[str]:
    """Delete every grid and user and everything hanging from them (cases, residents, audit
    events of demo users …); reference data such as the tag list stays. Demo databases only:
    the caller checks ``settings.DEMO``. Foreign keys are deferred to the commit, so the order
    of the deletes does not matter."""
    tables = []
    hanging, optional = _models_hanging_from_grids()
    for model, field in optional:
        model.objects.filter(**{f"{field.name}__isnull": False}).update(**{field.name: None})
    with connection.cursor() as cursor:
        for model in hanging:
            table = model._meta.db_table
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
            tables.append(table)
    from yemai.grids import locator

    locator.invalidate()  # the town loaded next in this transaction must not meet the old one
    transaction.on_commit(locator.invalidate)
    return tables
