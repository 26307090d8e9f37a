"""Settings of the intake benchmark's server: Yemai's own, plus the two baseline endpoints.

Loaded only by ``bench/case_intake.py`` (``DJANGO_SETTINGS_MODULE=bench.case_intake_settings``);
the product never sees the baseline endpoints.
"""

from yemai.settings import *  # noqa: F403

ROOT_URLCONF = "bench.case_intake_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR"}}
