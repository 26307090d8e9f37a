"""Roles and what each may do. One table, so a reviewer sees every grant in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TOWN_HEAD = "town_head", _("Town total grid head")  # 总网格长
    VILLAGE_HEAD = "village_head", _("Village grid head")  # 网格长 (村居)
    MICRO_LEADER = "micro_leader", _("Micro-grid leader")  # 微网格长
    MEMBER = "member", _("Micro-grid member")  # 微网格员
    CENTRE_OPERATOR = "centre_operator", _("Grid centre operator")  # 网格中心操作员
    DEPARTMENT = "department", _("Department liaison")  # 条线部门联络员
    SYSTEM_ADMIN = "system_admin", _("System administrator")  # 系统管理员
    SECURITY_ADMIN = "security_admin", _("Security administrator")  # 安全管理员
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")  # 审计管理员


# May see whole personal data (ID numbers, phones, exact addresses) inside the scope; each
# whole view is audited. Members and leaders work with masked data and call the resident
# through the platform, not from a copied number.
REVEAL_PII = {Role.TOWN_HEAD, Role.VILLAGE_HEAD, Role.CENTRE_OPERATOR}

# May import and export ledgers of people.
MANAGE_PEOPLE = {Role.TOWN_HEAD, Role.VILLAGE_HEAD, Role.CENTRE_OPERATOR, Role.MICRO_LEADER}

# May edit grids, boundaries, teams and service points.
MANAGE_GRIDS = {Role.TOWN_HEAD, Role.CENTRE_OPERATOR, Role.SYSTEM_ADMIN}

# May read the audit log; nobody may change it.
READ_AUDIT = {Role.AUDIT_ADMIN}

# May create and change accounts inside their scope (三员: the system administrator;
# the security administrator grants roles and tags).
MANAGE_USERS = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN}

# 三员分立: the three administrators. Each does only its own work (docs/security/):
# the system administrator runs the system and creates accounts, the security administrator
# grants roles, scopes and restricted tags and unlocks accounts, the audit administrator
# reads the audit log. None may do another's work.
ADMINISTRATORS = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}

# May grant roles and restricted tags, unlock accounts and reset their second factor.
MANAGE_SECURITY = {Role.SECURITY_ADMIN}
