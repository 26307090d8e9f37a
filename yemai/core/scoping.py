"""Grid scopes: every query a user causes goes through ``restrict(user)``.

Each scoped model names the path to its grid node in ``Meta``-like class attribute
``scope_field`` (for example ``"grid"`` or ``"house__grid"``); the node's materialized
``path`` makes "everything under this node" one ``startswith``.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user) -> RestrictedQuerySet:
        """Only rows inside the user's grid scope; none for an anonymous or unscoped user."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_unrestricted", False):
            return self
        scope = getattr(user, "scope", None)
        if scope is None:
            return self.none()
        field = self.model.scope_field
        lookup = "path__startswith" if field == "self" else f"{field}__path__startswith"
        return self.filter(**{lookup: scope.path})


class ScopedModel(models.Model):
    """A model whose rows belong to a grid node; subclasses set ``scope_field``."""

    scope_field = "grid"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True


def get_scoped_or_404(queryset, user, **lookup):
    """Fetch one row the user may see; outside the scope it does not exist (404)."""
    try:
        return queryset.restrict(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
