"""Reads of the people registry. Every list starts from ``.restrict(user)``.

Search never decrypts the table: a term that is a whole ID number or a mobile number is
hashed and matched against the hash column; anything else matches names.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from yemai.core.validators import normalize_mobile
from yemai.grids.models import GridNode

from .choices import ImportJobState
from .import_jobs import progress_file_read
from .models import House, Household, ImportJob, Organisation, Resident, Tag
from .services import id_number_hashes, phone_hashes

_ID_LIKE = re.compile(r"^[0-9]{17}[0-9Xx]$")
_DOCUMENT_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9\-]{6,30}$")


def _grid_filter(qs: QuerySet, grid, field: str = "grid") -> QuerySet:
    """Rows in the grid (a GridNode, id or code) and everything under it."""
    if grid in (None, ""):
        return qs
    if not isinstance(grid, GridNode):
        node = GridNode.objects.filter(code=str(grid)).first()
        if node is None and str(grid).isdigit():
            node = GridNode.objects.filter(pk=int(grid)).first()
        if node is None:
            return qs.none()
        grid = node
    return qs.filter(**{f"{field}__path__startswith": grid.path})


def search_hashes(term: str) -> tuple[list[str], list[str]]:
    """(id number hashes, phone hashes) a search term may stand for, under every lookup key;
    empty where it cannot be one."""
    term = (term or "").strip()
    id_hashes = id_number_hashes(term) if _ID_LIKE.match(term) or _DOCUMENT_LIKE.match(term) else []
    try:
        phones = phone_hashes(normalize_mobile(term))
    except ValidationError:
        phones = []
    return id_hashes, phones


def resident_search_q(term: str) -> Q:
    """Name contains the term, or the term is exactly the ID number or phone (by hash)."""
    term = (term or "").strip()
    id_hashes, phones = search_hashes(term)
    q = Q(name__icontains=term)
    if id_hashes:
        q |= Q(id_number_hash__in=id_hashes)
    if phones:
        q |= Q(phone_hash__in=phones)
    return q


def resident_list(
    *,
    user,
    q: str = "",
    grid=None,
    tag: str = "",
    registration: str = "",
    household=None,
    house=None,
) -> QuerySet[Resident]:
    """Residents the user may see (scope, less restricted tags not granted), filtered."""
    qs = Resident.objects.restrict(user).select_related("grid", "household", "house")
    qs = _grid_filter(qs, grid)
    if q and q.strip():
        qs = qs.filter(resident_search_q(q))
    if tag:
        qs = qs.filter(tags__name=tag)
    if registration:
        qs = qs.filter(registration=registration)
    if household is not None:
        qs = qs.filter(household=household)
    if house is not None:
        qs = qs.filter(house=house)
    return qs.prefetch_related("tags").distinct()


def resident_get(*, user, pk) -> Resident:
    from yemai.core.scoping import get_scoped_or_404

    return get_scoped_or_404(Resident.objects.select_related("grid"), user, pk=pk)


def household_list(*, user, q: str = "", grid=None, house=None) -> QuerySet[Household]:
    qs = Household.objects.restrict(user).select_related("grid", "house")
    qs = _grid_filter(qs, grid)
    if q and q.strip():
        qs = qs.filter(number__icontains=q.strip())
    if house is not None:
        qs = qs.filter(house=house)
    return qs


def with_landlord_visible(qs: QuerySet[House], user) -> QuerySet[House]:
    """Mark whether the user may see each house's landlord (a landlord under a restricted
    tag the user was not granted must not show up by name on a house either)."""
    visible = Resident.objects.restrict(user).filter(pk=OuterRef("landlord_id"))
    return qs.annotate(landlord_visible=Exists(visible))


def landlord_for(house: House, user=None) -> Resident | None:
    """The house's landlord if the viewer may see them, else None."""
    if not house.landlord_id:
        return None
    shown = getattr(house, "landlord_visible", None)
    if shown is None:
        shown = Resident.objects.restrict(user).filter(pk=house.landlord_id).exists()
    return house.landlord if shown else None


def house_list(*, user, q: str = "", grid=None, use: str = "") -> QuerySet[House]:
    """Houses by code (the address is encrypted: it is not searchable)."""
    qs = with_landlord_visible(
        House.objects.restrict(user).select_related("grid", "landlord"), user
    )
    qs = _grid_filter(qs, grid)
    if q and q.strip():
        qs = qs.filter(code__icontains=q.strip())
    if use:
        qs = qs.filter(use=use)
    return qs


def organisation_list(*, user, q: str = "", grid=None, kind: str = "") -> QuerySet[Organisation]:
    """Organisations by name or exact credit code."""
    qs = Organisation.objects.restrict(user).select_related("grid")
    qs = _grid_filter(qs, grid)
    if q and q.strip():
        term = q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(credit_code=term.upper()))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def tag_list(*, user) -> QuerySet[Tag]:
    """Tags the user may see and filter by: care tags and the restricted tags granted to them."""
    qs = Tag.objects.all()
    if getattr(user, "is_unrestricted", False):
        return qs
    granted = list(getattr(user, "granted_tags", None) or [])
    return qs.filter(Q(restricted=False) | Q(name__in=granted))


def import_job_list(*, user) -> QuerySet[ImportJob]:
    """Import jobs a user may watch: the ones they started, and, for a role that may manage
    people, every job started inside their scope. The stored file is never loaded."""
    qs = ImportJob.objects.defer("upload").select_related("created_by")
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    mine = Q(created_by=user.pk)
    if getattr(user, "can_manage_people", False):
        managed = ImportJob.objects.restrict(user).values("pk")
        return qs.filter(mine | Q(pk__in=managed))
    return qs.filter(mine)


def import_job_get(*, user, pk, kind: str | None = None) -> ImportJob:
    """One job the user may watch (of that ledger); any other is a 404."""
    qs = import_job_list(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    try:
        return qs.get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def import_job_status(job: ImportJob) -> dict:
    """How far a job has got: state, rows done of the rows in the file, percentage."""
    done, total = job.rows_done, job.rows_total
    if job.state == ImportJobState.RUNNING:
        done, total = progress_file_read(job.pk) or (done, total)
    if job.state == ImportJobState.DONE:
        percent = 100
    elif total:
        # 100 % only once the rows are committed: the last rows read still wait for the commit.
        percent = min(99, done * 100 // total)
    else:
        percent = 0
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "finished": job.finished,
        "done": done,
        "total": total,
        "percent": percent,
    }
