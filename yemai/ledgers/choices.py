"""Choices of the ledgers (台账): welfare kinds, petition and deed states, service kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The activity types of the source reports; the table is editable, these are only the seed.
DEFAULT_ACTIVITY_TYPES = [
    "亲子阅读",
    "普法讲座",
    "警示影片",
    "广场宣传",
    "法律援助",
    "网吧巡查",
    "暑期假日学校",
    "急救演练",
    "关爱走访",
    "主题党日",
]

# The campaign items of the source (环境卫生整治会战) and their units; editable per campaign.
DEFAULT_CAMPAIGN_ITEMS = [
    ("巷路整修", "条"),
    ("垃圾箱", "个"),
    ("公厕", "所"),
    ("边沟", "公里"),
    ("柴草垛清理", "个"),
]


class TeacherKind(models.TextChoices):
    IN_SERVICE = "in_service", _("Serving teachers")  # 在职教师
    FIVE_ELDERS = "five_elders", _("Five elders")  # 五老
    VOLUNTEER = "volunteer", _("Volunteers")  # 社会志愿者
    CADRE = "cadre", _("Community cadres")  # 社区干部


class WelfareKind(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance")  # 低保
    TEKUN = "tekun", _("Destitute support")  # 特困


class WelfareState(models.TextChoices):
    ACTIVE = "active", _("Receiving")
    EXITED = "exited", _("Exited")


class ReviewOutcome(models.TextChoices):
    KEEP = "keep", _("Kept")
    ADJUST = "adjust", _("Amount adjusted")
    EXIT = "exit", _("Exit")


class PetitionState(models.TextChoices):
    REGISTERED = "registered", _("Petition registered")  # 登记
    HANDLING = "handling", _("Being handled")  # 办理
    CLOSED = "closed", _("Closed (cancelled)")  # 销号


class DeedState(models.TextChoices):
    REGISTERED = "registered", _("Deed registered")  # 登记
    INVESTIGATING = "investigating", _("Under investigation")  # 调查核实
    CONFIRMED = "confirmed", _("Confirmed")  # 确认
    REJECTED = "rejected", _("Not confirmed")  # 不予确认
    COMMENDED = "commended", _("Commended")  # 表彰奖励


# (from, to) pairs a good-samaritan deed may move along.
DEED_TRANSITIONS = {
    (DeedState.REGISTERED, DeedState.INVESTIGATING),
    (DeedState.INVESTIGATING, DeedState.CONFIRMED),
    (DeedState.INVESTIGATING, DeedState.REJECTED),
    (DeedState.CONFIRMED, DeedState.COMMENDED),
}


class ServiceKind(models.TextChoices):
    RIGHTS = "rights", _("Rights protection")  # 维权
    REPAIR = "repair", _("Repairs")  # 维修
    LIVING = "living", _("Living and production services")  # 生活生产服务
    TOOL = "tool", _("Shared tools")  # 共享工具


class RequestState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    LENT = "lent", _("Lent out")
    RETURNED = "returned", _("Returned")


# The words the ledgers are kept under in Excel, whatever the interface language.
CHOICE_WORDS = {
    "dibao": "低保",
    "tekun": "特困",
    "active": "在保",
    "exited": "退出",
    "keep": "维持",
    "adjust": "调整金额",
    "exit": "退出保障",
    "registered": "登记",
    "handling": "办理中",
    "closed": "已销号",
    "investigating": "调查核实",
    "confirmed": "确认",
    "rejected": "不予确认",
    "commended": "表彰奖励",
    "rights": "维权",
    "repair": "维修",
    "living": "生活生产服务",
    "tool": "共享工具",
    "open": "待办",
    "done": "已办结",
    "lent": "已借出",
    "returned": "已归还",
}
