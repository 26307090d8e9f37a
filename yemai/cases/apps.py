from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yemai.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # The modules that hook into every transition (workflow.on_transition): deadlines
        # (on-time stamps), rating (tokens on close), notices (the outbox).
        from yemai.core.tasks import periodic_chain

        from . import deadlines, notices, rating  # noqa: F401

        # The deadline watch runs every minute wherever task runners run.
        periodic_chain(deadlines.deadline_schedule)
