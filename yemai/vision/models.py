from django.db import models
from django.utils.translation import gettext_lazy as _

from yemai.core.scoping import ScopedModel


class Camera(ScopedModel):
    """A shared camera site (共享视频点位); the vision worker reads its stream."""

    grid = models.ForeignKey(
        "grids.GridNode",
        verbose_name=_("micro-grid"),
        on_delete=models.PROTECT,
        related_name="cameras",
    )
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    stream_url = models.CharField(_("stream URL"), max_length=500, blank=True)
    sample_fps = models.FloatField(_("samples per second"), default=1.0)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"
