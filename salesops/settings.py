"""Django settings for SalesOps, read from the environment (django-environ).

The defaults run the embedded set-up: SQLite under var/, Huey on SQLite, DEBUG off, a
SECRET_KEY generated once into var/secret_key. A weak SECRET_KEY is refused with DEBUG off.
"""

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from salesops.core.secretkey import load_or_create
from salesops.core.secretkey import weakness as secret_key_weakness

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SALESOPS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# DEBUG shows tracebacks and every URL pattern to whoever asks: only `DEBUG=true` turns it on.
DEBUG = env.bool("DEBUG", default=False)
# No SECRET_KEY given: a strong one is generated once into var/secret_key (0600) and reused.
# A weak key (short, few distinct characters, a published development key) is refused
# unless DEBUG is on (core/secretkey).
SECRET_KEY = env.str("SECRET_KEY", default="") or load_or_create(VAR_DIR / "secret_key")
if not DEBUG and (_weakness := secret_key_weakness(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak to run with DEBUG off: {_weakness}. Unset SECRET_KEY to "
        "have a strong one generated into var/secret_key, or set one of 50+ random "
        "characters (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "simple_history",
    "huey.contrib.djhuey",
    "ninja",
    "axes",
    "salesops.core",
    "salesops.org",
    "salesops.customers",
    "salesops.customization",
    "salesops.notifications",
    "salesops.licence",
    "salesops.todos",
    "salesops.automation",
    "salesops.leads",
    "salesops.pipeline",
    "salesops.activities",
    "salesops.aftersales",
    "salesops.revenue",
    "salesops.knowledge",
    "salesops.inbox",
    "salesops.field",
    "salesops.outcomes",
    "salesops.diagnosis",
    "salesops.targets",
    "salesops.kpi",
    "salesops.integrations",
    "salesops.reports",
    "salesops.exchange",
    "salesops.incentives",
    "salesops.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "salesops.core.middleware.BackgroundCsrfCookieMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "salesops.core.middleware.UserLanguageMiddleware",
    "salesops.core.middleware.NulQueryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "salesops.core.middleware.ClientVersionMiddleware",
    "salesops.outcomes.middleware.SeenMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesops.urls"
WSGI_APPLICATION = "salesops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesops.web.context_processors.navigation",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'salesops.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take the write
    # lock up front so concurrent writers queue instead of failing with "database is
    # locked" half-way through a transaction, and they queue on a file lock that wakes
    # the next one at once rather than on SQLite's sleeping busy handler (core/sqlite).
    DATABASES["default"]["ENGINE"] = "salesops.core.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
# Keep connections between requests: opening one costs more than a simple request's
# queries (for SQLite: the file, the pragmas and Django's SQL functions).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- i18n ----------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "salesops" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
# Deal evidence (contracts' scans, meeting minutes …): outside the web root and MEDIA_ROOT's
# URL space, served only by the view that checks the deal's visibility.
EVIDENCE_ROOT = Path(env.str("EVIDENCE_ROOT", default=str(VAR_DIR / "private" / "evidence")))

# --- cache / background work ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "salesops",
        "url": REDIS_URL,
        "immediate": False,
        "utc": True,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "salesops",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "utc": True,
    }
if env.bool("HUEY_IMMEDIATE", default=False):
    HUEY["immediate"] = True

# --- mail ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SalesOps <salesops@localhost>")

# --- security ------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS deployments (docs/operations.md): all off by default so plain http://127.0.0.1 works.
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true (trusts the proxy's
# X-Forwarded-Proto: https), HTTPS_COOKIES=true (session and CSRF cookies only over HTTPS),
# SECURE_SSL_REDIRECT=true and SECURE_HSTS_SECONDS=31536000 once HTTPS works everywhere.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=env.bool("HTTPS_COOKIES", False))
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=env.bool("HTTPS_COOKIES", False))
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Login throttling (django-axes, core/logins): wrong passwords counted per user name and per
# address; the limits are data (core.LoginPolicy) edited on Settings · Locked logins.
AUTHENTICATION_BACKENDS = [
    "salesops.core.logins.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "salesops.core.logins.failure_limit"
AXES_COOLOFF_TIME = "salesops.core.logins.cool_off"
AXES_LOCKOUT_CALLABLE = "salesops.core.logins.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are what counts; no row per successful log-in
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "salesops.core.logins.client_address"
AXES_USERNAME_CALLABLE = "salesops.core.logins.username_of"
# Behind a reverse proxy every request comes from the proxy's address: name the request
# header the proxy sets to the client's address (e.g. X-Real-IP) so addresses count apart.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")

# --- content security policy (django-csp) --------------------------------------------
# Every script is a static file: no inline <script>, no on…= handlers, no eval (Alpine is
# its CSP build, htmx has allowEval off). Style attributes are not allowed either: the few
# computed widths (progress bars) are set from data-width by static JS (CSSOM, which CSP
# does not govern). Swagger UI at /api/v1/docs is served by ninja from local static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # The Huey consumer installs its own handler; don't print each line twice.
        "huey": {"propagate": False},
    },
}

# --- SalesOps ------------------------------------------------------------------------
SALESOPS = {
    # Clients (mobile app, integrations) older than this get HTTP 426 (SPEC X4).
    "MIN_CLIENT_VERSION": env.str("MIN_CLIENT_VERSION", default="1.0.0"),
    "DEFAULT_PHONE_REGION": env.str("DEFAULT_PHONE_REGION", default="CN"),
    "PAGE_SIZE": env.int("PAGE_SIZE", default=25),
    "API_MAX_PAGE_SIZE": 200,
    # Lists count at most this many rows ("10,000+"): counting millions costs seconds.
    "LIST_COUNT_CAP": 10_000,
    "EXPORT_MAX_ROWS": env.int("EXPORT_MAX_ROWS", default=100_000),
    # Outbound webhooks (rules, bots): private and loopback targets are refused unless
    # allowed here (tests allow loopback for their local fake servers).
    "WEBHOOK_ALLOW_PRIVATE": env.bool("WEBHOOK_ALLOW_PRIVATE", default=False),
    # How long one outbound HTTP call may take. How often a delivery is retried is
    # business policy: notifications.DeliveryPolicy, on the deliveries' settings page.
    "WEBHOOK_TIMEOUT": env.float("WEBHOOK_TIMEOUT", default=5.0),
    # Where SalesOps is reached, for absolute links in emails and bot messages.
    "SITE_URL": env.str("SITE_URL", default="http://127.0.0.1:8000"),
    # The public intake endpoint refuses bodies larger than this (HTTP 413).
    "INTAKE_MAX_BYTES": env.int("INTAKE_MAX_BYTES", default=64 * 1024),
    # Routing reads its rules and reps at most this often per process (seconds); daily
    # caps are always enforced by the database, whatever is cached.
    "ROUTING_CACHE_SECONDS": env.float("ROUTING_CACHE_SECONDS", default=5.0),
    # Custom field definitions, event rules and intake channels are read at most this
    # often per process (seconds); a change made here is seen at once (core/configcache).
    "CONFIG_CACHE_SECONDS": env.float("CONFIG_CACHE_SECONDS", default=5.0),
    # The organisation settings (lead cap, working hours, holidays, thresholds, lists: data
    # edited on Settings · Organisation, core.orgsettings) are read at most this often per
    # process; a save is seen at once through the shared cache version.
    "ORG_SETTINGS_CACHE_SECONDS": env.float("ORG_SETTINGS_CACHE_SECONDS", default=5.0),
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
NINJA_PAGINATION_PER_PAGE = 25

# Under pytest: a fast password hasher (the suite creates hundreds of users) and Huey
# running tasks inline so a task's effect is visible at once.
TESTING = "pytest" in sys.modules or env.bool("TESTING", default=False)
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    HUEY["immediate"] = True
    # The configuration caches are switched per test (salesops/core/tests/caching.py).
