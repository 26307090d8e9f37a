"""Cameras, their zones and rules, the alarms they raise, and the workers that watch them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yemai.core.scoping import ScopedModel

from .choices import AlarmState, CameraStatus, ZoneKind


class Camera(ScopedModel):
    """A shared camera site (共享视频点位); the vision worker reads its stream.

    ``lease_owner``/``lease_until``: the worker that reads it now, until when (renewed by its
    heartbeat; a lapsed lease is taken over by another worker). The status columns are the
    worker's last report."""

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("micro-grid"),
        on_delete=models.PROTECT,
        related_name="cameras",
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    location = models.CharField(_("location"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    stream_url = models.CharField(_("stream URL"), max_length=500, blank=True)
    sample_fps = models.FloatField(_("samples per second"), default=1.0)
    enabled = models.BooleanField(_("enabled"), default=True)
    lease_owner = models.CharField(_("worker"), max_length=100, blank=True, default="")
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CameraStatus.choices, default=CameraStatus.UNKNOWN
    )
    status_detail = models.CharField(_("status detail"), max_length=200, blank=True)
    fps = models.FloatField(_("frames analysed per second"), default=0.0)
    last_frame_at = models.DateTimeField(_("last frame"), null=True, blank=True)
    last_alarm_at = models.DateTimeField(_("last alarm"), null=True, blank=True)
    snapshot = models.BinaryField(_("snapshot"), null=True, blank=True, editable=False)
    snapshot_width = models.PositiveIntegerField(default=0, editable=False)
    snapshot_height = models.PositiveIntegerField(default=0, editable=False)
    snapshot_at = models.DateTimeField(_("snapshot taken"), null=True, blank=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Zone(ScopedModel):
    """A zone drawn on a camera's picture (检测区域) and its rule: what may not stand there,
    for how long, when. ``polygon`` is [[x, y], …] in the pixels of a picture
    ``image_width`` × ``image_height`` (scaled to the frames the worker gets)."""

    scope_field = "camera__grid"

    camera = models.ForeignKey(
        Camera, verbose_name=_("camera"), on_delete=models.CASCADE, related_name="zones"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ZoneKind.choices)
    polygon = models.JSONField(_("polygon"))
    image_width = models.PositiveIntegerField(_("picture width"))
    image_height = models.PositiveIntegerField(_("picture height"))
    labels = models.JSONField(_("object classes"), default=list, blank=True)
    dwell_s = models.PositiveIntegerField(_("dwell time (seconds)"), default=300)
    cooldown_s = models.PositiveIntegerField(_("cooldown (seconds)"), default=3600)
    min_size = models.PositiveIntegerField(_("minimum object size (pixels)"), default=0)
    active_from = models.TimeField(_("active from"), null=True, blank=True)
    active_to = models.TimeField(_("active until"), null=True, blank=True)
    category = models.CharField(_("case subcategory"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        "people.Organisation",
        verbose_name=_("shop"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="camera_zones",
    )
    review_required = models.BooleanField(_("human review before dispatch"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("camera zone")
        verbose_name_plural = _("camera zones")
        ordering = ["camera", "name", "id"]

    def __str__(self):
        return f"{self.camera.code} · {self.name}"


class Alarm(ScopedModel):
    """An alarm (告警): an object that stood in a zone past its dwell time. Repeats at the same
    camera and zone within the zone's cooldown are counted on one alarm (事件聚合), which
    raises one case; ``track_uid`` with camera and zone is the case's idempotency key."""

    scope_field = "camera__grid"

    camera = models.ForeignKey(
        Camera, verbose_name=_("camera"), on_delete=models.CASCADE, related_name="alarms"
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="alarms"
    )
    track_uid = models.CharField(_("track"), max_length=40)
    label = models.CharField(_("object"), max_length=40)
    score = models.FloatField(_("score"), default=0.0)
    box = models.JSONField(_("box"), default=list)
    dwell_s = models.FloatField(_("dwell (seconds)"), default=0.0)
    state = models.CharField(_("state"), max_length=12, choices=AlarmState.choices)
    repeats = models.PositiveIntegerField(_("repeats"), default=0)
    first_at = models.DateTimeField(_("first alarm"))
    last_at = models.DateTimeField(_("last alarm"))
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    snapshot = models.BinaryField(_("snapshot"), editable=False)
    first_frame = models.BinaryField(_("first frame"), editable=False)
    last_frame = models.BinaryField(_("last frame"), editable=False)
    case_id = models.PositiveIntegerField(_("case id"), null=True, blank=True)
    case_number = models.CharField(_("case"), max_length=24, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("camera alarm")
        verbose_name_plural = _("camera alarms")
        ordering = ["-last_at", "-id"]
        indexes = [models.Index(fields=["camera", "zone", "last_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["camera", "zone", "track_uid"], name="vision_alarm_track_once"
            )
        ]

    def __str__(self):
        return f"{self.camera.code} · {self.zone.name} · {self.label}"


class VisionWorker(models.Model):
    """A running ``yemai vision`` process (视频分析进程). Not grid data: it reads cameras of
    any grid its leases give it; only its health is kept here (no scope)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=100)
    pid = models.PositiveIntegerField(_("process id"), default=0)
    detector = models.CharField(_("detector"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started"))
    heartbeat_at = models.DateTimeField(_("last heartbeat"))
    cameras = models.PositiveIntegerField(_("cameras"), default=0)
    fps = models.FloatField(_("frames analysed per second"), default=0.0)
    stopped = models.BooleanField(_("stopped"), default=False)

    class Meta:
        verbose_name = _("vision worker")
        verbose_name_plural = _("vision workers")
        ordering = ["name"]

    def __str__(self):
        return self.name
