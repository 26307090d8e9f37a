"""The demo town as plain data (``TownPlan``), decided entirely by ``seed`` and ``scale``.

Planning touches no database, so the same seed can be checked to give the same town (codes,
names, ID numbers) and the locate benchmark can reuse the grid layout. ``loader`` writes a plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from . import geometry as G
from . import names as N
from .identifiers import Mobiles, camera_code, credit_code, phone_landline
from .population import HouseholdPlan, HousePlan, MicroGridInfo, NameMaker, PersonPlan, Population

FULL = {"villages": 45, "micro_grids": 172, "cameras": 1150, "residents": 60_000}
FULL_ORGS = {"shop": 1800, "enterprise": 500, "internet_cafe": 12}
COMMUNITY_DENSITY, VILLAGE_DENSITY = 1200.0, 320.0  # residents per km², for proportions only


@dataclass
class GridPlan:
    code: str
    name: str
    level: str  # town, village, micro
    boundary: BaseGeometry  # WGS-84 degrees
    metres: BaseGeometry  # the same in local metres
    parent: str = ""
    village_kind: str = ""
    roads: list[str] = field(default_factory=list)
    hamlets: list[str] = field(default_factory=list)
    residents: int = 0


@dataclass
class MemberPlan:
    grid_code: str
    team: str  # management, work, volunteer
    name: str
    phone: str
    duty: str
    duty_tags: list[str]
    is_leader: bool = False
    area: BaseGeometry | None = None
    area_note: str = ""


@dataclass
class PlacePlan:
    """A point on the map with a name: a camera, a service point, an organisation."""

    grid_code: str
    name: str
    lon: float
    lat: float
    code: str = ""
    kind: str = ""
    address: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class TownPlan:
    seed: int
    scale: float
    town: GridPlan
    villages: list[GridPlan]
    micro_grids: list[GridPlan]
    members: list[MemberPlan]
    cameras: list[PlacePlan]
    service_points: list[PlacePlan]
    organisations: list[PlacePlan]
    departments: list[tuple[str, str, str]]  # code, name, phone
    houses: list[HousePlan]
    households: list[HouseholdPlan]
    people: list[PersonPlan]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder, ties to the first)."""
    wsum = float(sum(weights))
    if total <= 0 or wsum <= 0:
        return [0] * len(weights)
    quotas = [total * w / wsum for w in weights]
    counts = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _pick(rng: random.Random, stems: list[str], k: int) -> list[str]:
    picked = rng.sample(stems, min(k, len(stems)))
    extra = [f"新{s}" for s in stems]  # a bigger-than-life town runs out of names
    return picked + extra[: max(0, k - len(picked))]


def _sizes(scale: float) -> dict[str, int]:
    villages = max(2, round(FULL["villages"] * scale))
    return {
        "villages": villages,
        "communities": max(1, round(villages / 3)),
        "micro_grids": max(2 * villages, round(FULL["micro_grids"] * scale)),
        "cameras": round(FULL["cameras"] * scale),
        "residents": max(50, round(FULL["residents"] * scale)),
    }


def plan_grids(
    seed: int, scale: float, county: str
) -> tuple[GridPlan, list[GridPlan], list[GridPlan]]:
    """Town, villages (communities first, centre outwards) and micro-grids, with codes."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    size = _sizes(scale)
    outline = G.town_outline(nrng)
    town_code = f"{county}{N.TOWN_STREET_CODE}"
    town = GridPlan(town_code, N.TOWN_NAME, "town", G.to_degrees(outline), outline)
    seeds = G.village_seeds(nrng, outline, size["villages"])
    cells = G.voronoi_cells(seeds, outline)
    n_comm = size["communities"]
    stems = _pick(rng, N.COMMUNITY_STEMS, n_comm) + _pick(rng, N.VILLAGE_STEMS, len(cells) - n_comm)
    villages, weights = [], []
    for i, (stem, cell) in enumerate(zip(stems, cells, strict=True)):
        urban = i < n_comm
        roads = [f"{stem}路"] + rng.sample(N.URBAN_STREETS if urban else N.VILLAGE_LANES, 2)
        villages.append(
            GridPlan(
                code=f"{town_code}{i + 1:03d}",
                name=f"{stem}社区" if urban else f"{stem}村",
                level="village",
                boundary=G.to_degrees(cell),
                metres=cell,
                parent=town_code,
                village_kind="community" if urban else "village",
                roads=roads,
                hamlets=[] if urban else [f"{s}家" for s in rng.sample(N.HAMLET_SURNAMES, 3)],
            )
        )
        weights.append(cell.area / 1e6 * (COMMUNITY_DENSITY if urban else VILLAGE_DENSITY))
    base = 2
    micro_counts = [
        base + extra for extra in apportion(size["micro_grids"] - base * len(villages), weights)
    ]
    residents = apportion(size["residents"], weights)
    micro_grids = []
    for village, count, people in zip(villages, micro_counts, residents, strict=True):
        village.residents = people
        cells = G.voronoi_cells(G.micro_seeds(nrng, village.metres, count), village.metres)
        shares = apportion(people, [c.area for c in cells])
        for j, (cell, share) in enumerate(zip(cells, shares, strict=True), start=1):
            micro_grids.append(
                GridPlan(
                    code=f"{village.code}{j:03d}",
                    name=f"{village.name}第{j}微网格",
                    level="micro",
                    boundary=G.to_degrees(cell),
                    metres=cell,
                    parent=village.code,
                    roads=village.roads,
                    hamlets=village.hamlets,
                    residents=share,
                )
            )
    return town, villages, micro_grids


def _points(nrng: np.random.Generator, grid: GridPlan, n: int) -> list[tuple[float, float]]:
    lons, lats = G.xy_to_degrees(G.random_points(nrng, grid.metres, n))
    return [(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]


def _strips(geom: BaseGeometry, k: int) -> list[BaseGeometry]:
    """Cut a micro-grid into ``k`` west-to-east strips (分片包干 areas)."""
    minx, miny, maxx, maxy = geom.bounds
    step = (maxx - minx) / k
    return [
        G.polygonal(
            shapely.intersection(geom, box(minx + i * step, miny, minx + (i + 1) * step, maxy))
        )
        for i in range(k)
    ]


def plan_teams(rng: random.Random, micro_grids: list[GridPlan]) -> list[MemberPlan]:
    """Three teams per micro-grid; the micro-grid leader (微网格长) leads the management team."""
    names, mobiles = NameMaker(rng), Mobiles(rng)
    members: list[MemberPlan] = []

    def person(era_from: int, era_to: int) -> tuple[str, str]:
        return names.full(rng.choice("MF"), rng.randint(era_from, era_to)), mobiles.make()

    for grid in micro_grids:
        urban = not grid.hamlets
        name, phone = person(1962, 1985)
        members.append(
            MemberPlan(grid.code, "management", name, phone, N.LEADER_DUTY, N.LEADER_TAGS, True)
        )
        for title, duty, tags in N.MANAGEMENT_ROLES:
            name, phone = person(1960, 1990)
            members.append(
                MemberPlan(grid.code, "management", name, phone, f"{title}：{duty}", tags)
            )
        work = N.WORK_ROLES[:2] + [N.WORK_ROLES[3] if urban else N.WORK_ROLES[2]]
        strips = _strips(grid.boundary, len(work))
        for i, (title, duty, tags) in enumerate(work):
            road = rng.choice(grid.roads)
            name, phone = person(1965, 2000)
            members.append(
                MemberPlan(
                    grid.code,
                    "work",
                    name,
                    phone,
                    f"{title}：{duty.format(road=road)}",
                    tags,
                    area=strips[i],
                    area_note=f"第{i + 1}片（{road}一带）",
                )
            )
        for title, duty, tags in rng.sample(N.VOLUNTEER_ROLES, rng.randint(3, 5)):
            name, phone = person(1950, 2005)
            members.append(
                MemberPlan(grid.code, "volunteer", name, phone, f"{title}：{duty}", tags)
            )
    return members


def plan_cameras(rng, nrng, county: str, micro_grids: list[GridPlan], total: int):
    weights = [2.5 if not g.hamlets else 1.0 for g in micro_grids]
    cameras, used = [], set()
    seq = 0
    for grid, count in zip(micro_grids, apportion(total, weights), strict=True):
        village = grid.name.split("第")[0]
        for lon, lat in _points(nrng, grid, count):
            seq += 1
            a = rng.choice(grid.roads)
            b = rng.choice([r for r in N.TOWN_ROADS + grid.roads if r != a])
            options = [f"{a}与{b}交叉口", f"{a}与{b}交叉口{rng.choice(N.CORNERS)}"]
            options.append(f"{village}{rng.choice(N.CAMERA_SPOTS)}")
            options.append(f"{a}{rng.randint(1, 300)}号{rng.choice(N.CAMERA_SPOTS)}")
            if rng.random() < 0.35:
                options = options[2:] + options[:2]
            name = next((o for o in options if o not in used), f"{a}{seq}号")
            used.add(name)
            code = camera_code(county, seq)
            url = f"rtsp://cam{seq:06d}.demo.invalid:554/Streaming/Channels/101"
            cameras.append(PlacePlan(grid.code, name, lon, lat, code=code, extra={"url": url}))
    return cameras


def plan_service_points(rng, villages: list[GridPlan], micro_grids: list[GridPlan]):
    points = []
    for village in villages:
        first = next(g for g in micro_grids if g.parent == village.code)
        spot = first.boundary.representative_point()
        hours = N.OPENING_HOURS_COMMUNITY if not village.hamlets else N.OPENING_HOURS_VILLAGE
        points.append(
            PlacePlan(
                village.code,
                f"{village.name}党群服务点",
                spot.x,
                spot.y,
                address=f"{village.roads[0]}{rng.randint(1, 99)}号",
                extra={
                    "hours": hours,
                    "phone": phone_landline(rng, N.AREA_PHONE_PREFIX),
                    "serves": [g.code for g in micro_grids if g.parent == village.code],
                },
            )
        )
    return points


def plan_organisations(rng, nrng, county: str, micro_grids: list[GridPlan], scale: float):
    names, mobiles = NameMaker(rng), Mobiles(rng)
    stems = N.COMMUNITY_STEMS + N.VILLAGE_STEMS
    orgs, used = [], set()
    weights = {
        "shop": lambda g: 3.0 if not g.hamlets else 1.0,
        "enterprise": lambda g: 0.4 if not g.hamlets else 2.0,
        "internet_cafe": lambda g: 1.0 if not g.hamlets else 0.0,
    }
    for kind, full in FULL_ORGS.items():
        total = max(1, round(full * scale))
        counts = apportion(total, [weights[kind](g) for g in micro_grids])
        for grid, count in zip(micro_grids, counts, strict=True):
            village = grid.name.split("第")[0]
            for lon, lat in _points(nrng, grid, count):
                road = rng.choice(grid.roads)
                if kind == "shop":
                    prefix = rng.choice(N.SHOP_PREFIXES + [f"{names.surname()}记", road[:2]])
                    name = f"{prefix}{rng.choice(N.SHOP_TRADES)}"
                elif kind == "enterprise":
                    name = f"慈溪市{rng.choice(stems)}{rng.choice(N.INDUSTRIES)}{rng.choice(N.COMPANY_SUFFIXES)}"
                else:
                    name = f"{rng.choice(N.SHOP_PREFIXES)}{rng.choice(N.CAFE_SUFFIXES)}"
                if name in used:
                    name = (
                        f"{road}{name}" if f"{road}{name}" not in used else f"{village}{road}{name}"
                    )
                used.add(name)
                address = f"{village if grid.hamlets else ''}{road}{rng.randint(1, 400)}号"
                orgs.append(
                    PlacePlan(
                        grid.code,
                        name,
                        lon,
                        lat,
                        kind=kind,
                        address=address,
                        code=credit_code(rng, county, individual=kind == "shop"),
                        extra={
                            "contact": names.full(rng.choice("MF"), rng.randint(1960, 2000)),
                            "phone": mobiles.make(),
                        },
                    )
                )
    return orgs


def plan_town(*, seed: int = 1, scale: float = 1.0, county: str = "330282") -> TownPlan:
    """The whole demo town. Same arguments, same town."""
    if not 0 < scale <= 2:
        raise ValueError("scale must be more than 0 and at most 2")
    town, villages, micro_grids = plan_grids(seed, scale, county)
    rng = random.Random(seed * 7919 + 1)
    nrng = np.random.default_rng(seed + 1)
    members = plan_teams(rng, micro_grids)
    cameras = plan_cameras(rng, nrng, county, micro_grids, _sizes(scale)["cameras"])
    service_points = plan_service_points(rng, villages, micro_grids)
    organisations = plan_organisations(rng, nrng, county, micro_grids, scale)
    departments = [(c, n, phone_landline(rng, N.AREA_PHONE_PREFIX)) for c, n in N.DEPARTMENTS]
    population = Population(
        random.Random(seed * 104729 + 2), np.random.default_rng(seed + 2), county
    )
    for grid in micro_grids:
        population.add_micro_grid(
            MicroGridInfo(
                code=grid.code,
                village_name=grid.name.split("第")[0],
                urban=not grid.hamlets,
                roads=grid.roads,
                hamlets=grid.hamlets,
                metres=grid.metres,
                residents=grid.residents,
            )
        )
    population.ensure_restricted()
    return TownPlan(
        seed=seed,
        scale=scale,
        town=town,
        villages=villages,
        micro_grids=micro_grids,
        members=members,
        cameras=cameras,
        service_points=service_points,
        organisations=organisations,
        departments=departments,
        houses=population.houses,
        households=population.households,
        people=population.people,
    )
