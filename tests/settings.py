"""Settings for the test suite: the real settings module, with fixed test keys.

The environment still decides the database (DATABASE_URL), so the same suite runs on SQLite
and on PostgreSQL.
"""

import os

os.environ.setdefault("YEMAI_SECRET_KEY", "test-secret-key")
os.environ.setdefault(
    "YEMAI_ENCRYPTION_KEYS", "test1:dGVzdC1rZXktMzItYnl0ZXMtbG9uZy10ZXN0LWtleSEhIQ=="
)
os.environ.setdefault("YEMAI_LOOKUP_KEY", "test-lookup-key")
os.environ.setdefault("YEMAI_DATA_DIR", os.path.join(os.path.dirname(__file__), "artifacts", "var"))

from yemai.settings import *  # noqa: E402,F403

# PBKDF2 makes every create_user cost ~0.3 s; tests check roles, not hashing strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite asserts the English source messages. The product default stays Chinese
# (yemai.settings.LANGUAGE_CODE = "zh-hans"): tests/test_i18n.py checks it and the translation.
LANGUAGE_CODE = "en"
