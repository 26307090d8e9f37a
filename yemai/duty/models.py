"""Field duty (外勤): patrol tracks (巡查轨迹) and face check-ins (人脸打卡).

Both are sensitive personal information under PIPL Art. 28: a track is whereabouts (行踪轨迹),
a check-in selfie is a biometric image. Nobody but the member sees them without a
``SensitiveGrant``, which no role implies; every such view is audited; everything here is
deleted after its retention (``retention.py``) or on the person's request (``sensitive_erase``).

Every place a person was is encrypted at rest like the selfie: a fix (longitude, latitude,
accuracy) is one ``EncryptedTextField`` (``position``) holding ``"lon,lat,accuracy"``; the
``lon``, ``lat`` and ``accuracy_m`` attributes read it. Times and the links to the patrol and the
member stay in clear: retention, erasure and the once-per-time constraint select by them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yemai.core.fields import EncryptedTextField
from yemai.core.scoping import ScopedModel

from .choices import Review


def position_text(lon: float, lat: float, accuracy: float | None = None) -> str:
    """A fix as stored (before encryption): ``"lon,lat,accuracy"``, each number as ``repr``
    writes it, so it reads back as exactly the same float; an unknown accuracy is empty."""
    acc = "" if accuracy is None else repr(float(accuracy))
    return f"{float(lon)!r},{float(lat)!r},{acc}"


def position_parse(text: str) -> tuple[float, float, float | None]:
    """``(lon, lat, accuracy)`` of a stored fix (``position_text``)."""
    lon, lat, acc = text.split(",")
    return float(lon), float(lat), (float(acc) if acc else None)


class Located:
    """``lon``, ``lat`` and ``accuracy_m`` of a model whose place is the encrypted ``position``
    (read only: write ``position = position_text(...)``)."""

    @property
    def fix(self) -> tuple[float, float, float | None]:
        text = self.position
        cached = self.__dict__.get("_fix")
        if cached is None or cached[0] != text:
            cached = (text, position_parse(text))
            self.__dict__["_fix"] = cached
        return cached[1]

    @property
    def lon(self) -> float:
        return self.fix[0]

    @property
    def lat(self) -> float:
        return self.fix[1]

    @property
    def accuracy_m(self) -> float | None:
        return self.fix[2]


class Patrol(ScopedModel):
    """One patrol (巡查) of a member: started, points sent in batches by the phone, ended."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="patrols",
    )
    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="patrols",
        help_text=_("The member's grid when the patrol started."),
    )
    client_key = models.CharField(_("client key"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    length_m = models.FloatField(_("length (m)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        constraints = [
            # A phone that retries "start" with the same key gets the same patrol.
            models.UniqueConstraint(
                fields=["member", "client_key"],
                condition=~models.Q(client_key=""),
                name="duty_patrol_client_key_unique",
            ),
            # At most one open patrol per member.
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(ended_at__isnull=True),
                name="duty_patrol_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class TrackPoint(Located, ScopedModel):
    """One GPS fix of a patrol (WGS-84, as the phone's geolocation gives it), encrypted."""

    scope_field = "patrol__grid"

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="points"
    )
    # "lon,lat,accuracy" (position_text), encrypted (AES-256-GCM or SM4-GCM, core.crypto).
    position = EncryptedTextField(_("location"))
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        ordering = ["recorded_at", "id"]
        constraints = [
            # A batch sent again (a retry on a weak signal) cannot double the track.
            models.UniqueConstraint(fields=["patrol", "recorded_at"], name="duty_trackpoint_once"),
        ]

    def __str__(self):
        return f"{self.lon:.6f},{self.lat:.6f} @ {self.recorded_at:%H:%M:%S}"


class CheckIn(Located, ScopedModel):
    """A field attendance check-in (外勤打卡): where and when, with a selfie a person reviews.

    The selfie is a biometric image: stored only as a metadata-free JPEG, encrypted in the
    database (``photo``), dropped after ``BIOMETRIC_RETENTION_DAYS`` while the time and place
    (``position``, encrypted too) stay until ``SENSITIVE_RETENTION_DAYS``. No face matching is
    done by the software.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="checkins",
    )
    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="checkins",
    )
    client_key = models.CharField(_("client key"), max_length=64, blank=True)
    at = models.DateTimeField(_("checked in"), db_index=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    # "lon,lat,accuracy" (position_text), encrypted like the selfie.
    position = EncryptedTextField(_("location"))
    # Base64 of the re-encoded JPEG, encrypted (AES-256-GCM or SM4-GCM, core.crypto).
    photo = EncryptedTextField(_("selfie"), blank=True, editable=False)
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_removed_at = models.DateTimeField(_("selfie removed"), null=True, blank=True)
    review = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_key"],
                condition=~models.Q(client_key=""),
                name="duty_checkin_client_key_unique",
            ),
        ]

    def __str__(self):
        return f"{self.member} {self.at:%Y-%m-%d %H:%M}"

    @property
    def has_photo(self) -> bool:
        return self.photo_removed_at is None and self.photo_width is not None


class SensitiveGrant(models.Model):
    """Leave to see other people's whereabouts and biometrics (行踪轨迹、人脸照片) inside one's
    scope. No role implies it; only the security administrator grants or revokes it, and
    every grant, revocation and use is in the audit log."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="sensitive_grant",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("whereabouts and biometrics grant")
        verbose_name_plural = _("whereabouts and biometrics grants")
        ordering = ["-granted_at", "-id"]

    def __str__(self):
        return str(self.user)
