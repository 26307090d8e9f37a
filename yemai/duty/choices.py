from django.db import models
from django.utils.translation import gettext_lazy as _


class Review(models.TextChoices):
    """A person's review of a face check-in (no machine compares faces)."""

    PENDING = "pending", _("Not reviewed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
