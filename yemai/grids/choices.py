from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    TOWN = "town", _("Town total grid")  # 镇总网格
    VILLAGE = "village", _("Village/community grid")  # 村居网格
    MICRO = "micro", _("Micro-grid")  # 微网格


class VillageKind(models.TextChoices):
    VILLAGE = "village", _("Village")  # 村
    COMMUNITY = "community", _("Community")  # 社区


class TeamKind(models.TextChoices):
    MANAGEMENT = "management", _("Management team")  # 管理团队
    WORK = "work", _("Work team")  # 工作团队
    VOLUNTEER = "volunteer", _("Volunteer team")  # 志愿团队


class DutyTag(models.TextChoices):
    """The four roles of a micro-grid leader, also used for members' duties."""

    INFORMER = "信息员", _("Informer")
    PUBLICIST = "宣传员", _("Publicist")
    COORDINATOR = "协调员", _("Coordinator")
    SUPERVISOR = "监督员", _("Supervisor")


CHILD_LEVEL = {Level.TOWN: Level.VILLAGE, Level.VILLAGE: Level.MICRO}
