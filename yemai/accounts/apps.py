from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yemai.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Audit records for sign-in, sign-out and permission changes (core.security).
        from yemai.core.security import checks  # noqa: F401  (registers the checks)
        from yemai.core.security.signals import connect_signals

        connect_signals()
