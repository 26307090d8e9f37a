"""One settings module, read from environment variables.

Every variable is parsed strictly: a bad value stops the process at start with a message
naming the variable, never later in a request. See docs/operator-guide.md for the full list.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("YEMAI_DATA_DIR", BASE_DIR.parent / "var")).resolve()


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}, not {value!r}"
        )
    return value


def database_from_url(url: str) -> dict:
    """Parse sqlite:///path or postgres://user:pass@host:port/name into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if (
            path.startswith("/")
            and url.startswith("sqlite:///")
            and not url.startswith("sqlite:////")
        ):
            path = path[1:]  # sqlite:///relative.db
        name = path or str(DATA_DIR / "yemai.sqlite3")
        return {
            # Django's backend; one process's write transactions take turns in Python.
            "ENGINE": "yemai.core.sqlite",
            "NAME": name,
            # One connection per server thread, kept (opening one costs more than a query).
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # WAL lets the page server read while the task runner writes.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "yemai",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "TEST": {"NAME": options.pop("test_name", None)},
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:/// or postgres://, not {url!r}"
    )


DEMO = env_bool("YEMAI_DEMO", False)
DEBUG = env_bool("YEMAI_DEBUG", False)

SECRET_KEY = env_str("YEMAI_SECRET_KEY")
if not SECRET_KEY:
    if not (DEMO or DEBUG):
        raise ImproperlyConfigured(
            "YEMAI_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set YEMAI_DEMO=1 to run the demo."
        )
    SECRET_KEY = "demo-only-secret-key-never-use-in-production"  # noqa: S105

# Personal data encryption keys: "kid:base64key[,kid:base64key…]"; the first one encrypts,
# all of them decrypt (so keys rotate without downtime). See yemai/core/crypto.py.
ENCRYPTION_KEYS = env_str("YEMAI_ENCRYPTION_KEYS")
# Keys for the keyed hashes that let an ID number be searched without decrypting the table:
# YEMAI_LOOKUP_KEYS="new,old" while rotating (the first writes, every one is searched, see
# `yemai keys rotate-lookup`), or one key in YEMAI_LOOKUP_KEY (the same as a list of one).
LOOKUP_KEYS = [k.strip() for k in env_str("YEMAI_LOOKUP_KEYS", "").split(",") if k.strip()]
if LOOKUP_KEYS and env_str("YEMAI_LOOKUP_KEY"):
    raise ImproperlyConfigured(
        "Set YEMAI_LOOKUP_KEYS or YEMAI_LOOKUP_KEY, not both: while rotating, list the new key "
        "first and the old one after it in YEMAI_LOOKUP_KEYS and remove YEMAI_LOOKUP_KEY."
    )
if len(set(LOOKUP_KEYS)) != len(LOOKUP_KEYS):
    raise ImproperlyConfigured("YEMAI_LOOKUP_KEYS lists the same key twice")
LOOKUP_KEY = LOOKUP_KEYS[0] if LOOKUP_KEYS else env_str("YEMAI_LOOKUP_KEY")
if not ENCRYPTION_KEYS or not LOOKUP_KEY:
    if not DEMO:
        raise ImproperlyConfigured(
            "YEMAI_ENCRYPTION_KEYS and YEMAI_LOOKUP_KEY must be set outside the demo: "
            "run `yemai keys generate` and put its output in the environment."
        )
    # Demo keys are fixed so the demo database survives restarts; they protect nothing.
    ENCRYPTION_KEYS = ENCRYPTION_KEYS or "demo1:ZGVtby1vbmx5LWtleS0zMi1ieXRlcy1sb25nISEhISEh"
    LOOKUP_KEY = LOOKUP_KEY or "demo-only-lookup-key"
LOOKUP_KEYS = LOOKUP_KEYS or [LOOKUP_KEY]
CIPHER = env_choice("YEMAI_CIPHER", "aes-gcm", {"aes-gcm", "sm4-gcm"})

ALLOWED_HOSTS = [
    h.strip() for h in env_str("YEMAI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in (env_str("YEMAI_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "yemai.core.admin_config.YemaiAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "yemai.core",
    "yemai.accounts",
    "yemai.grids",
    "yemai.people",
    "yemai.cases",
    "yemai.vision",
    "yemai.notify",
    "yemai.ledgers",
    "yemai.reports",
    "yemai.duty",
    "yemai.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yemai.core.security.middleware.SessionCookieGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yemai.core.middleware.RequestContextMiddleware",
    # Security baseline (docs/security/): headers, rate limits, idle logout, 2FA and password gate.
    "yemai.core.security.middleware.SecurityHeadersMiddleware",
    "yemai.core.security.middleware.RateLimitMiddleware",
    "yemai.core.security.middleware.IdleTimeoutMiddleware",
    "yemai.core.security.middleware.SecurityGateMiddleware",
]

ROOT_URLCONF = "yemai.urls"
WSGI_APPLICATION = "yemai.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Django's backend, refusing locked account names and addresses (core.security.lockout).
AUTHENTICATION_BACKENDS = ["yemai.core.security.backends.LockoutModelBackend"]
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'yemai.sqlite3'}"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "yemai.core.security.passwords.CharacterClassesValidator"},
    {"NAME": "yemai.core.security.passwords.PasswordHistoryValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("YEMAI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"  # outside the web root; served only through views that check scope
# The data folder holds the embedded SQLite file; WhiteNoise wants STATIC_ROOT to exist.
try:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"YEMAI_DATA_DIR {DATA_DIR} cannot be created: {exc}") from None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("YEMAI_SECURE_COOKIES", not (DEMO or DEBUG))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# --- Web server (`yemai serve`) ----------------------------------------------------------
# Server processes sharing the port, and threads in each. Python runs one thread at a time per
# process, so one process per core answers the most: that is the default where processes can be
# forked (POSIX), up to 4; elsewhere one. Two threads each: one can answer while the other
# waits on the database or a slow request; more only take turns for the interpreter, and
# the thread holding SQLite's write turn waits behind each of them (docs/decisions/0004).
WEB_WORKERS = env_int(
    "YEMAI_WEB_WORKERS", min(os.cpu_count() or 1, 4) if hasattr(os, "fork") else 1, minimum=1
)
WEB_THREADS = env_int("YEMAI_WEB_THREADS", 2, minimum=1)
# How often (seconds) a server process lets another thread run. A thread holding the database's
# write turn waits for its next go after every SQLite call: Python's default (0.005) made each
# write wait up to 5 ms that many times; 0.0005 hands it back sooner.
WEB_SWITCH_INTERVAL = env_float("YEMAI_WEB_SWITCH_INTERVAL", 0.0005)

# Reference data (categories, holiday calendar, notice channels, grids, duty rosters) is kept in
# each process; an edit reaches every other web process within this many seconds (0: no cache).
REFERENCE_CACHE_SECONDS = env_float("YEMAI_REFERENCE_CACHE_SECONDS", 30.0)

# --- Grids ------------------------------------------------------------------------------
# How far (metres) a child boundary may stick out of its parent, or siblings overlap, before
# the check calls it an error: surveyed boundaries never match to the millimetre.
GRID_BOUNDARY_TOLERANCE_M = env_float("YEMAI_GRID_BOUNDARY_TOLERANCE_M", 1.0)
# Gaps between children smaller than this many square metres are not reported.
GRID_GAP_MIN_AREA_M2 = env_float("YEMAI_GRID_GAP_MIN_AREA_M2", 1.0)
# locate(): a point outside every micro-grid goes to the nearest one within this distance.
GRID_LOCATE_NEAREST_M = env_float("YEMAI_GRID_LOCATE_NEAREST_M", 50.0)
# County administrative code (GB/T 2260) that begins every grid code.
GRID_COUNTY_CODE = env_str("YEMAI_COUNTY_CODE", "330282")

# --- Maps -------------------------------------------------------------------------------
MAP_TILES = env_choice("YEMAI_MAP_TILES", "none", {"none", "osm", "tianditu", "amap"})
TIANDITU_TOKEN = env_str("YEMAI_TIANDITU_TOKEN", "")
if MAP_TILES == "tianditu" and not TIANDITU_TOKEN:
    raise ImproperlyConfigured("YEMAI_MAP_TILES=tianditu needs YEMAI_TIANDITU_TOKEN (tk=)")

# --- Notifications (docs/notifications.md) ----------------------------------------------------
# More notices than this waiting for one group channel (robot, webhook) go out as one digest.
NOTIFY_DIGEST_AFTER = env_int("YEMAI_NOTIFY_DIGEST_AFTER", 5, minimum=1)
# A notice that fails is tried again after base·2^(n-1) seconds (±20 %), at most cap apart,
# and given up after max attempts (kept in the admin, where it can be retried).
NOTIFY_RETRY_BASE_S = env_float("YEMAI_NOTIFY_RETRY_BASE_S", 15.0)
NOTIFY_RETRY_CAP_S = env_float("YEMAI_NOTIFY_RETRY_CAP_S", 1800.0)
NOTIFY_MAX_ATTEMPTS = env_int("YEMAI_NOTIFY_MAX_ATTEMPTS", 30, minimum=1)
NOTIFY_HTTP_TIMEOUT_S = env_float("YEMAI_NOTIFY_HTTP_TIMEOUT_S", 10.0)
# Web push (PWA): `yemai notify vapid-keys` makes the private key; the subject is a contact.
NOTIFY_VAPID_PRIVATE_KEY = env_str("YEMAI_NOTIFY_VAPID_PRIVATE_KEY", "")
NOTIFY_VAPID_SUBJECT = env_str("YEMAI_NOTIFY_VAPID_SUBJECT", "mailto:admin@localhost")
if NOTIFY_RETRY_BASE_S <= 0 or NOTIFY_RETRY_CAP_S < NOTIFY_RETRY_BASE_S:
    raise ImproperlyConfigured(
        "YEMAI_NOTIFY_RETRY_BASE_S must be above 0 and YEMAI_NOTIFY_RETRY_CAP_S not below it"
    )
if not NOTIFY_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured("YEMAI_NOTIFY_VAPID_SUBJECT must start with mailto: or https://")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_pii": {"()": "yemai.core.logfilter.MaskPersonalDataFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_pii"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("YEMAI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Cases ------------------------------------------------------------------------------
# Working hours in which step clocks run (local time), as HH:MM-HH:MM periods.
CASE_WORKING_HOURS = env_str("YEMAI_CASE_WORKING_HOURS", "08:30-12:00,13:30-17:30")
# A step turns yellow at this share of its limit (it is red at 100 %).
CASE_WARN_RATIO = env_float("YEMAI_CASE_WARN_RATIO", 0.8)
# Cases inside a micro-grid with a member on duty are registered and dispatched at once.
CASE_AUTO_DISPATCH = env_bool("YEMAI_CASE_AUTO_DISPATCH", True)
# Open311 GeoReport v2 (/open311/v2/, docs/api.md): the jurisdiction_id clients must send
# (when they send one), and the contact shown in discovery.
OPEN311_JURISDICTION = env_str("YEMAI_OPEN311_JURISDICTION", "yemai")
OPEN311_CONTACT = env_str("YEMAI_OPEN311_CONTACT", "")
# Duplicates (重复案件): an open case of the same subcategory reported within this many
# metres and hours of a new one is shown to the resident before they submit, and merged
# automatically when both come from cameras.
CASE_DUPLICATE_M = env_float("YEMAI_CASE_DUPLICATE_M", 50.0)
CASE_DUPLICATE_HOURS = env_float("YEMAI_CASE_DUPLICATE_HOURS", 72.0)
# The resident's rating link (评价链接) sent by SMS when a case closes: this address followed
# by the token. Set it to the public address of the resident portal.
CASE_RATING_URL = env_str("YEMAI_CASE_RATING_URL", "http://127.0.0.1:8000/rate/")
# How long a rating link stays valid after the case closes, in days.
CASE_RATING_DAYS = env_float("YEMAI_CASE_RATING_DAYS", 30.0)

# --- Security baseline (docs/security/dengbao-level3-checklist.md) ---------------------------
# Passwords: length, character classes (of upper, lower, digit, other), no reuse of the last
# N, change every N days (0: never); passwords set by an administrator must be changed.
PASSWORD_MIN_LENGTH = env_int("YEMAI_PASSWORD_MIN_LENGTH", 8, minimum=8)
PASSWORD_MIN_CLASSES = env_int("YEMAI_PASSWORD_MIN_CLASSES", 3, minimum=1)
PASSWORD_HISTORY = env_int("YEMAI_PASSWORD_HISTORY", 5, minimum=0)
PASSWORD_MAX_AGE_DAYS = env_int("YEMAI_PASSWORD_MAX_AGE_DAYS", 90, minimum=0)
AUTH_PASSWORD_VALIDATORS[0]["OPTIONS"]["min_length"] = PASSWORD_MIN_LENGTH
if PASSWORD_MIN_CLASSES > 4:
    raise ImproperlyConfigured("YEMAI_PASSWORD_MIN_CLASSES must be 1 to 4")
# Login failures: this many failures lock the account name and, separately, the address.
LOGIN_LOCK_FAILURES = env_int("YEMAI_LOGIN_LOCK_FAILURES", 5, minimum=1)
LOGIN_LOCK_MINUTES = env_int("YEMAI_LOGIN_LOCK_MINUTES", 15, minimum=1)
# A session unused this long ends (idle logout).
IDLE_TIMEOUT_MINUTES = env_int("YEMAI_IDLE_TIMEOUT_MINUTES", 15, minimum=1)
SESSION_COOKIE_AGE = env_int("YEMAI_SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = env_int("YEMAI_HSTS_SECONDS", 0 if (DEMO or DEBUG) else 31536000)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("YEMAI_BEHIND_TLS_PROXY", False) else None
)
# Second factor (TOTP, RFC 6238) for administrators and every role that may see whole
# personal data. The issuer is the name shown in the authenticator app.
TOTP_REQUIRED = env_bool("YEMAI_TOTP_REQUIRED", True)
TOTP_ISSUER = env_str("YEMAI_TOTP_ISSUER", "叶脉 Yemai")
# Audit log: records younger than this many days are never purged (等保: at least 184).
AUDIT_RETENTION_DAYS = env_int("YEMAI_AUDIT_RETENTION_DAYS", 184, minimum=184)
# Patrol tracks and check-ins (whereabouts): kept at most this many days (yemai/duty/retention.py).
SENSITIVE_RETENTION_DAYS = env_int("YEMAI_SENSITIVE_RETENTION_DAYS", 180, minimum=1)
# Check-in selfies (biometric images): kept at most this many days, never longer than the above.
BIOMETRIC_RETENTION_DAYS = env_int("YEMAI_BIOMETRIC_RETENTION_DAYS", 30, minimum=1)
# Rate limits: "METHOD:/path/prefix/=COUNT/SECONDS,…" per client address (METHOD * = any).
RATE_LIMITS = env_str(
    "YEMAI_RATE_LIMITS",
    "POST:/admin/login/=20/60,POST:/login/=20/60,POST:/account/=30/60,"
    "POST:/api/public/=30/60,GET:/api/public/=300/60,POST:/open311/v2/=30/60,"
    # the resident portal's own posts (photos of a report) and the rating page
    "POST:/r/=20/60,POST:/rate/=20/60",
)
# Content-Security-Policy sent with every page: no inline script, nothing from a foreign host.
CSP = env_str(
    "YEMAI_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# Backups (yemai backup / yemai restore): their own key, "base64 of 32 bytes or more"; when
# unset, one is derived from the first YEMAI_ENCRYPTION_KEYS key.
BACKUP_KEY = env_str("YEMAI_BACKUP_KEY", "")
