from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "yemai.duty"
    label = "duty"
    verbose_name = _("Field duty")

    def ready(self):
        from yemai.core.tasks import periodic_chain

        from . import retention

        # The retention purge runs once a day wherever task runners run.
        periodic_chain(retention.purge_schedule)
