from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneKind(models.TextChoices):
    NO_PARKING = "no_parking", _("No-parking zone")  # 非机动车禁停区
    SHOP_FRONTAGE = "shop_frontage", _("Shop frontage")  # 门前责任区 (跨门经营)
    CUSTOM = "custom", _("Custom")


# The case subcategory each kind of zone reports (yemai/cases/taxonomy.py).
ZONE_CATEGORY = {ZoneKind.NO_PARKING: "0201", ZoneKind.SHOP_FRONTAGE: "0202"}


class CameraStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    DISABLED = "disabled", _("Disabled")
    UNKNOWN = "unknown", _("Unknown")


class AlarmState(models.TextChoices):
    REVIEW = "review", _("Waiting for review")  # 待人工审核
    DISPATCHING = "dispatching", _("Raising the case")
    SENT = "sent", _("Case raised")
    REJECTED = "rejected", _("Rejected")
