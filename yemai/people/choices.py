from django.db import models
from django.utils.translation import gettext_lazy as _


class Registration(models.TextChoices):
    HOUSEHOLD = "household", _("Registered (户籍)")
    MIGRANT = "migrant", _("Migrant (流动)")
    FOREIGN = "foreign", _("Foreign (境外)")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class HouseUse(models.TextChoices):
    OWN = "own", _("Own use")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")


class OrganisationKind(models.TextChoices):
    SHOP = "shop", _("Shop")
    ENTERPRISE = "enterprise", _("Enterprise")
    INTERNET_CAFE = "internet_cafe", _("Internet café")
    OTHER = "other", _("Other")


# Care tags: visible to everyone who sees the person.
CARE_TAGS = ["独居老人", "低保", "特困", "残疾", "留守儿童", "困难青少年"]
# Restricted tags: the person is visible only to users granted the tag.
RESTRICTED_TAGS = ["社区矫正", "刑满释放", "严重精神障碍", "吸毒", "信访重点"]


class LedgerKind(models.TextChoices):
    """The people ledgers an Excel file imports into."""

    RESIDENTS = "residents", _("residents")
    HOUSES = "houses", _("houses")
    HOUSEHOLDS = "households", _("households")
    ORGANISATIONS = "organisations", _("organisations")


class ImportJobState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
