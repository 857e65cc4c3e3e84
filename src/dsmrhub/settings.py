"""Django settings, configured from DSMRHUB_* environment variables with safe defaults."""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url

DATA_DIR = Path(os.environ.get("DSMRHUB_DATA_DIR", "data")).resolve()
# Only its owner may read it: the database holds the API key, MQTT password, meter key and password
# hashes. `dsmrhub` also sets the umask to 077 and tightens an existing dir at start (dsmrhub.datadir).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("DSMRHUB_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def _seconds(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {text!r}") from None
    if not 0 < value <= 3600:
        raise ValueError(f"{name} must be more than 0 and at most 3600 seconds, got {text!r}")
    return value


SECRET_KEY = _secret_key()
# How long a statement waits for another connection's lock before the request answers 503 (SQLite's
# write lock; PostgreSQL's lock_timeout).
DATABASE_LOCK_TIMEOUT = _seconds("DSMRHUB_DATABASE_LOCK_TIMEOUT", 30.0)
DEBUG = os.environ.get("DSMRHUB_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DSMRHUB_ALLOWED_HOSTS", "*").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DSMRHUB_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# `pip install dsmrhub` is the database-less forwarder (`dsmrhub forward` on a Pi): Django, pyserial and
# the telegram reader. The hub itself (database, pages, API, MQTT) needs `dsmrhub[server]`; without that
# stack only the app holding `forward` is installed, so that Django starts without it (and the CLI
# names the extra for any other command).
SERVER_PACKAGES = ("rest_framework", "django_filters", "drf_spectacular", "whitenoise", "granian", "paho")
SERVER_INSTALLED = all(importlib.util.find_spec(name) is not None for name in SERVER_PACKAGES)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "dsmrhub.readings",
    "dsmrhub.api",
    "dsmrhub.datalogger",
    "dsmrhub.web",
    "dsmrhub.spotprices",
    "dsmrhub.prices",
    "dsmrhub.devices",
    "dsmrhub.processing",
    "dsmrhub.switching",
    "dsmrhub.mqtt",
    "dsmrhub.server",
    "dsmrhub.backup",
    "dsmrhub.alerts",
]
if not SERVER_INSTALLED:
    INSTALLED_APPS = ["dsmrhub.datalogger"]

MIDDLEWARE = [
    "dsmrhub.middleware.BodyLimitMiddleware",  # before anything reads a body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dsmrhub.middleware.SecurityHeadersMiddleware",
    # Django's session, language, CSRF, login and message middleware, skipped for /api/ (middleware.py)
    "dsmrhub.middleware.SessionMiddleware",
    "dsmrhub.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dsmrhub.middleware.CsrfViewMiddleware",
    "dsmrhub.middleware.AuthenticationMiddleware",
    "dsmrhub.middleware.MessageMiddleware",
    "dsmrhub.web.middleware.RequireLoginMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dsmrhub.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "dsmrhub.urls"
WSGI_APPLICATION = "dsmrhub.wsgi.application"

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
                "dsmrhub.web.context_processors.frame",
                "dsmrhub.web.context_processors.tariffs",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DSMRHUB_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'dsmrhub.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "dsmrhub.db.sqlite"  # Django's, with a finer wait for the write lock
        # Django's default test database for SQLite, said explicitly: pytest-django only recognises it
        # under Django's own engine name.
        config["TEST"] = {"NAME": ":memory:"}
        config["CONN_MAX_AGE"] = 0 if ":memory:" in str(config["NAME"]) else 600
        config["OPTIONS"] = {
            # WAL + busy timeout: the web server, datalogger and processor share one file. A new file gets
            # 1 KiB pages (an existing one keeps its size): a commit appends every page it changed to the
            # log, so a group of telegrams writes about a quarter of the bytes it would with 4 KiB (SD-card
            # wear, issue 18). NORMAL: a commit reaches the disk at the next sync (db/durability.py). A
            # checkpoint (copying the log into the file, synced) every 10,000 pages, not 1,000: each copies
            # every page changed since the last, so the hot ones (state rows, the newest readings) once per
            # few hours instead of every few minutes; the log file is cut back to 16 MiB after a big import.
            "init_command": (
                "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=16777216;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": DATABASE_LOCK_TIMEOUT,
        }
    elif config["ENGINE"].startswith("django.db.backends.postgresql"):
        options = config.setdefault("OPTIONS", {})
        lock_timeout = f"-c lock_timeout={round(DATABASE_LOCK_TIMEOUT * 1000)}"
        options["options"] = f"{options.get('options', '')} {lock_timeout}".strip()
    if os.environ.get("DSMRHUB_TEST_DATABASE_NAME"):
        config["TEST"] = {"NAME": os.environ["DSMRHUB_TEST_DATABASE_NAME"]}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]  # the browser's Accept-Language picks
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = os.environ.get("DSMRHUB_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# Django's username/password check behind the login throttle (dsmrhub.web.login)
AUTHENTICATION_BACKENDS = ["dsmrhub.web.login.ThrottledModelBackend"]

STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "dashboard"
WHITENOISE_USE_FINDERS = True  # serve app static files directly; no collectstatic step to forget

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["dsmrhub.api.authentication.APIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["dsmrhub.api.permissions.APIEnabledAndAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
        "dsmrhub.api.parsers.JSONParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "dsmrhub.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "dsmrhub.api.pagination.LimitOffsetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dsmrhub.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "dsmrhub API",
    "DESCRIPTION": "DSMR-reader compatible REST API (v1 remote datalogger, v2 RESTful API).",
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dsmrhub.api.schema.postprocess_errors_and_v1",
    ],
}

# Largest request body, file uploads included (dsmrhub.middleware.BodyLimitMiddleware); a telegram is a
# few kB. Uploads within it stay in memory (FILE_UPLOAD_MAX_MEMORY_SIZE is larger): no temporary files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Human lines on a terminal; under systemd's journal no timestamp of ours and a <N> priority prefix.
    "formatters": {"plain": {"()": "dsmrhub.logformat.LogFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DSMRHUB_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
