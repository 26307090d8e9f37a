"""The people of the demo town (实有人口): households, houses and residents, drawn per micro-grid.

Households are drawn from a table of types (young family, three generations, elderly couple,
elderly person living alone, migrant worker renting …); ages come from the type, so the town has a
realistic age pyramid with many elderly people, and care tags follow from the household
(独居老人 for most elderly people living alone, 留守儿童 for children raised by grandparents,
低保 for a few households). Registered residents carry ID numbers of 慈溪 (330282), migrants of
their home counties; migrants live in rented houses whose landlord is a registered neighbour.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import numpy as np

from . import names as N
from .geometry import random_points, xy_to_degrees
from .identifiers import IdNumbers, Mobiles

REFERENCE_DATE = dt.date(2025, 7, 1)  # ages are counted to this day, so a seed never drifts

# type: (weight, migrant?)
HOUSEHOLD_TYPES = {
    "young_family": (25, False),
    "older_family": (14, False),
    "three_generations": (14, False),
    "skipped_generation": (3, False),
    "elderly_couple": (15, False),
    "elderly_alone": (9, False),
    "couple": (12, False),
    "single": (8, False),
    "migrant_single": (45, True),
    "migrant_couple": (35, True),
    "migrant_family": (20, True),
}
MIGRANT_SHARE = 0.32  # of households
VACANT_SHARE = 0.07  # of houses
# Restricted tags: chance per adult (18-65); the town always gets at least one of the first two.
RESTRICTED_RATES = [
    ("社区矫正", 0.0006),
    ("严重精神障碍", 0.0015),
    ("刑满释放", 0.0008),
    ("吸毒", 0.0003),
    ("信访重点", 0.0004),
]


@dataclass(slots=True)
class PersonPlan:
    grid_code: str
    name: str
    id_number: str
    birth_date: dt.date
    sex: str
    phone: str
    registration: str  # "household" or "migrant"
    household: int  # index into TownPlan.households
    house: int  # index into TownPlan.houses
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class HousePlan:
    code: str
    grid_code: str
    address: str
    lon: float
    lat: float
    use: str  # own, rented, vacant
    landlord: int = -1  # index into TownPlan.people


@dataclass(slots=True)
class HouseholdPlan:
    number: str
    grid_code: str
    house: int


class NameMaker:
    """Chinese names: a weighted surname and one or two characters fitting the birth era."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames = [s for s, _ in N.SURNAMES]
        self.cum: list[int] = []
        total = 0
        for _, w in N.SURNAMES:
            total += w
            self.cum.append(total)

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.cum)[0]

    def given(self, sex: str, birth_year: int) -> str:
        era = "old" if birth_year < 1962 else "mid" if birth_year < 1992 else "young"
        chars = N.GIVEN_CHARS[(era, sex)]
        count = 1 if self.rng.random() < 0.25 else 2
        return "".join(self.rng.choice(chars) for _ in range(count))

    def full(self, sex: str, birth_year: int, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(sex, birth_year)


def _members(rng: random.Random, kind: str) -> list[tuple[int, str, str]]:
    """(age, sex, role) of each member; role is head, spouse, child, elder or grandchild."""
    r = rng.randint
    if kind in {"young_family", "migrant_family"}:
        father = r(28, 45) if kind == "young_family" else r(25, 42)
        mother = max(22, father - r(0, 4))
        kids = 1 if rng.random() < (0.55 if kind == "young_family" else 0.7) else 2
        return [(father, "M", "head"), (mother, "F", "spouse")] + [
            (r(0, min(18, mother - 22)), rng.choice("MF"), "child") for _ in range(kids)
        ]
    if kind == "older_family":
        father = r(45, 62)
        return [
            (father, "M", "head"),
            (max(40, father - r(0, 4)), "F", "spouse"),
            (r(10, min(30, father - 22)), rng.choice("MF"), "child"),
        ]
    if kind == "three_generations":
        father = r(35, 55)
        elders = [(r(max(62, father + 22), 90), sex, "elder") for sex in "MF"]
        if rng.random() < 0.4:
            elders = [elders[rng.randrange(2)]]
        kids = 1 if rng.random() < 0.6 else 2
        return (
            [(father, "M", "head"), (max(30, father - r(0, 4)), "F", "spouse")]
            + elders
            + [(r(2, min(25, father - 23)), rng.choice("MF"), "child") for _ in range(kids)]
        )
    if kind == "skipped_generation":
        grandad = r(58, 80)
        elders = [(grandad, "M", "head"), (max(55, grandad - r(0, 4)), "F", "spouse")]
        if rng.random() < 0.3:
            elders = [elders[1]]
            elders[0] = (elders[0][0], "F", "head")
        return elders + [(r(3, 14), rng.choice("MF"), "grandchild") for _ in range(r(1, 2))]
    if kind == "elderly_couple":
        husband = r(62, 92)
        return [(husband, "M", "head"), (max(60, husband - r(0, 5)), "F", "spouse")]
    if kind == "elderly_alone":
        # Women outlive men: two thirds of elderly people living alone are women.
        return [(min(100, 65 + int(rng.expovariate(1 / 12))), rng.choice("FFM"), "head")]
    if kind in {"couple", "migrant_couple"}:
        husband = r(24, 60) if kind == "couple" else r(20, 50)
        return [(husband, "M", "head"), (max(20, husband - r(0, 4)), "F", "spouse")]
    if kind == "migrant_single":
        return [(r(18, 50), rng.choice("MMF"), "head")]
    return [(r(20, 60), rng.choice("MF"), "head")]  # single


def _birth_date(rng: random.Random, age: int) -> dt.date:
    return REFERENCE_DATE - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))


@dataclass
class MicroGridInfo:
    """What the population needs to know of a micro-grid."""

    code: str
    village_name: str
    urban: bool
    roads: list[str]
    hamlets: list[str]
    metres: object  # shapely polygon in local metres
    residents: int


class Population:
    """Accumulates the people, households and houses of the whole town, micro-grid by micro-grid."""

    def __init__(self, rng: random.Random, nrng: np.random.Generator, county: str):
        self.rng, self.nrng, self.county = rng, nrng, county
        self.names = NameMaker(rng)
        self.ids = IdNumbers(rng)
        self.mobiles = Mobiles(rng)
        self.people: list[PersonPlan] = []
        self.houses: list[HousePlan] = []
        self.households: list[HouseholdPlan] = []
        self.road_numbers: dict[str, int] = {}
        kinds = list(HOUSEHOLD_TYPES)
        self.local_kinds = [k for k in kinds if not HOUSEHOLD_TYPES[k][1]]
        self.local_w = [HOUSEHOLD_TYPES[k][0] for k in self.local_kinds]
        self.migrant_kinds = [k for k in kinds if HOUSEHOLD_TYPES[k][1]]
        self.migrant_w = [HOUSEHOLD_TYPES[k][0] for k in self.migrant_kinds]

    # --- addresses -------------------------------------------------------------------
    def _next_number(self, key: str, step: int) -> int:
        self.road_numbers[key] = self.road_numbers.get(key, 0) + step
        return self.road_numbers[key]

    def _addresses(self, grid: MicroGridInfo, count: int) -> list[tuple[str, float, float]]:
        """``count`` addresses with coordinates inside the micro-grid."""
        rng = self.rng
        out: list[tuple[str, float, float]] = []
        if grid.urban:
            # Compounds (小区) on a road number, buildings (幢) of 6-18 floors, 2 flats a floor.
            while len(out) < count:
                road = rng.choice(grid.roads)
                number = self._next_number(f"{grid.village_name}/{road}", 2 * rng.randint(1, 3))
                spots = random_points(self.nrng, grid.metres, rng.randint(2, 6))
                lons, lats = xy_to_degrees(spots)
                for b, (lon, lat) in enumerate(zip(lons, lats, strict=True), start=1):
                    floors = rng.choice((6, 6, 11, 18))
                    for floor in range(1, floors + 1):
                        for unit in (1, 2):
                            room = f"{floor}{unit:02d}"
                            out.append((f"{road}{number}号{b}幢{room}室", float(lon), float(lat)))
            return out[:count]
        spots = random_points(self.nrng, grid.metres, count)
        lons, lats = xy_to_degrees(spots)
        for lon, lat in zip(lons, lats, strict=True):
            place = rng.choice(grid.roads + grid.hamlets)
            number = self._next_number(f"{grid.village_name}/{place}", 1)
            out.append((f"{grid.village_name}{place}{number}号", float(lon), float(lat)))
        return out

    # --- people ----------------------------------------------------------------------
    def _person(self, grid, age, sex, surname, migrant_area, household, house) -> PersonPlan:
        birth = _birth_date(self.rng, age)
        area = migrant_area or self.county
        phone = ""
        if age >= 14 and self.rng.random() < (0.5 if age >= 80 else 0.92):
            phone = self.mobiles.make()
        person = PersonPlan(
            grid_code=grid.code,
            name=self.names.full(sex, birth.year, surname),
            id_number=self.ids.make(area, birth, sex),
            birth_date=birth,
            sex=sex,
            phone=phone,
            registration="migrant" if migrant_area else "household",
            household=household,
            house=house,
        )
        self.people.append(person)
        return person

    def _household(self, grid, kind, house: int, number: int) -> list[PersonPlan]:
        rng = self.rng
        migrant_area = rng.choice(N.MIGRANT_AREA_CODES) if HOUSEHOLD_TYPES[kind][1] else None
        index = len(self.households)
        self.households.append(HouseholdPlan(f"{grid.code}H{number:04d}", grid.code, house))
        family = self.names.surname()
        people = []
        for age, sex, role in _members(rng, kind):
            surname = None if role in {"spouse", "elder"} else family
            if role == "elder" and sex == "M":
                surname = family  # the husband's father
            people.append(self._person(grid, age, sex, surname, migrant_area, index, house))
        self._care_tags(kind, people)
        return people

    def _care_tags(self, kind: str, people: list[PersonPlan]) -> None:
        rng = self.rng
        ages = [(REFERENCE_DATE - p.birth_date).days // 365 for p in people]
        if kind == "elderly_alone" and rng.random() < 0.85:
            people[0].tags.append("独居老人")
            if ages[0] >= 70 and rng.random() < 0.04:
                people[0].tags.append("特困")
        low_income = people[0].registration == "household" and rng.random() < 0.012
        for person, age in zip(people, ages, strict=True):
            if low_income:
                person.tags.append("低保")
                if 6 <= age <= 18 and rng.random() < 0.5:
                    person.tags.append("困难青少年")
            if kind == "skipped_generation" and age <= 14:
                person.tags.append("留守儿童")
            if rng.random() < (0.04 if age >= 60 else 0.008):
                person.tags.append("残疾")
            if 18 <= age <= 65:
                for tag, rate in RESTRICTED_RATES:
                    if rng.random() < rate:
                        person.tags.append(tag)
                        break

    def add_micro_grid(self, grid: MicroGridInfo) -> None:
        """Households until the micro-grid reaches its resident count, then vacant houses."""
        rng = self.rng
        landlords: list[int] = []
        plans: list[str] = []
        while len(plans) == 0 or self._planned_size(plans) < grid.residents:
            migrant = rng.random() < MIGRANT_SHARE
            kinds, weights = (
                (self.migrant_kinds, self.migrant_w)
                if migrant
                else (self.local_kinds, self.local_w)
            )
            plans.append(rng.choices(kinds, weights=weights)[0])
        vacant = max(1, round(len(plans) * VACANT_SHARE / (1 - VACANT_SHARE)))
        addresses = self._addresses(grid, len(plans) + vacant)
        # Registered households first, so migrants can rent from them.
        order = sorted(range(len(plans)), key=lambda i: HOUSEHOLD_TYPES[plans[i]][1])
        for number, i in enumerate(order, start=1):
            kind = plans[i]
            migrant = HOUSEHOLD_TYPES[kind][1]
            address, lon, lat = addresses[number - 1]
            house = len(self.houses)
            landlord = rng.choice(landlords) if migrant and landlords else -1
            use = "rented" if migrant else "own"
            code = f"{grid.code}F{number:04d}"
            self.houses.append(HousePlan(code, grid.code, address, lon, lat, use, landlord))
            head = len(self.people)
            people = self._household(grid, kind, house, number)
            if not migrant and (REFERENCE_DATE - people[0].birth_date).days >= 25 * 365:
                landlords.append(head)
        for j in range(vacant):
            number = len(plans) + j + 1
            address, lon, lat = addresses[number - 1]
            owner = rng.choice(landlords) if landlords else -1
            self.houses.append(
                HousePlan(
                    f"{grid.code}F{number:04d}", grid.code, address, lon, lat, "vacant", owner
                )
            )

    def _planned_size(self, plans: list[str]) -> float:
        # Expected sizes (members drawn later): close enough to stop near the target.
        sizes = {
            "young_family": 3.45, "older_family": 3, "three_generations": 5.0,
            "skipped_generation": 3.2, "elderly_couple": 2, "elderly_alone": 1, "couple": 2,
            "single": 1, "migrant_single": 1, "migrant_couple": 2, "migrant_family": 3.3,
        }  # fmt: skip
        return sum(sizes[k] for k in plans)

    def ensure_restricted(self) -> None:
        """A demo needs someone under a restricted tag to show who may see them."""
        for tag, _rate in RESTRICTED_RATES[:2]:
            if any(tag in p.tags for p in self.people):
                continue
            adults = [
                p for p in self.people if 25 <= (REFERENCE_DATE - p.birth_date).days // 365 <= 60
            ]
            if adults:
                self.rng.choice(adults).tags.append(tag)
