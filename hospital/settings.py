"""Settings, all read from the environment in this one place.

| variable | default | meaning |
| --- | --- | --- |
| DATABASE_URL | embedded PostgreSQL in .data/ | the PostgreSQL server of the write and read models |
| REDIS_URL | embedded Redis in .data/ | the Celery broker (only used with READ_MODEL_SYNC=celery) |
| READ_MODEL_SYNC | trigger | how read models follow the write model: trigger or celery |
| SECRET_KEY | a development key | Django's signing key; set it in production |
| DEBUG | 1 | Django debug mode |
| ALLOWED_HOSTS | 127.0.0.1,localhost | comma-separated host names |
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / ".data"))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = _env_bool("DEBUG", True)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

READ_MODEL_SYNC = os.environ.get("READ_MODEL_SYNC", "trigger").strip().lower()
if READ_MODEL_SYNC not in {"trigger", "celery"}:
    raise ValueError(f"READ_MODEL_SYNC must be 'trigger' or 'celery', not {READ_MODEL_SYNC!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "pgtrigger",
    "hospital",
    "prescriptions",
    "pharmacy",
    "outbox",
    "monitoring",
]

MIDDLEWARE = [
    "monitoring.middleware.RequestMetricsMiddleware",  # first: its latency covers the whole stack
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hospital.urls"
WSGI_APPLICATION = "hospital.wsgi.application"
ASGI_APPLICATION = "hospital.asgi.application"

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
            ],
        },
    },
]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from hospital.embedded import ensure_postgres

    return ensure_postgres(DATA_DIR)


DATABASES = {
    "default": dj_database_url.parse(_database_url(), conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))),
}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "pt-br"
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns anonymous requests into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hospital.token_cache.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "hospital.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Prescrições hospitalares (CQRS)",
    "DESCRIPTION": "Command endpoints for prescribers, read endpoints for the pharmacy.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    if READ_MODEL_SYNC != "celery":
        return "redis://127.0.0.1:6379/0"  # never contacted in trigger mode
    from hospital.embedded import ensure_redis

    return ensure_redis(DATA_DIR)


REDIS_URL = _redis_url()
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A Redis that hangs (host frozen, network black hole) rather than refusing connections must not hold a relay
# for ever: every socket operation gives up after this many seconds, the publish fails as "broker unavailable"
# and the relay releases its leases and backs off (the worker's BRPOP polls every 1 s, well under it).
BROKER_SOCKET_TIMEOUT = float(os.environ.get("BROKER_SOCKET_TIMEOUT", "5"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
}
# Celery's Django fixup closes every database connection before and after each task unless this is set: a
# new PostgreSQL backend per message (fork + Django connection set-up, ~10-30 ms of CPU on a busy 2-core box)
# made the worker the bottleneck of the async lag. With it, a worker process keeps its connection (closed and
# reopened every N tasks; CONN_MAX_AGE and the unusable-connection checks still apply).
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Outbox relay and Celery projector (asynchronous mode). Durations in seconds.
OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "1000"))  # events claimed per relay transaction
OUTBOX_MESSAGE_SIZE = int(os.environ.get("OUTBOX_MESSAGE_SIZE", "200"))  # events per Celery message
OUTBOX_POLL_INTERVAL = float(os.environ.get("OUTBOX_POLL_INTERVAL", "2"))  # fallback when no NOTIFY arrives
# After a NOTIFY wakes it, the relay waits this long so that commits arriving together share one pass and one
# message: fewer claims and Celery tasks per event under load, for at most this much more lag.
OUTBOX_LINGER = float(os.environ.get("OUTBOX_LINGER", "0.005"))
OUTBOX_LEASE = float(os.environ.get("OUTBOX_LEASE", "30"))  # a claim lasts this long before another relay may retry
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))  # then the event is dead-lettered
OUTBOX_BACKOFF_BASE = float(os.environ.get("OUTBOX_BACKOFF_BASE", "1"))  # retry n waits base * 2**(n-1) ...
OUTBOX_BACKOFF_MAX = float(os.environ.get("OUTBOX_BACKOFF_MAX", "300"))  # ... capped here
# Published but still not projected after this long (message lost: broker restart, worker killed): publish again.
OUTBOX_REPUBLISH_AFTER = float(os.environ.get("OUTBOX_REPUBLISH_AFTER", "600"))
OUTBOX_RETENTION_DAYS = float(os.environ.get("OUTBOX_RETENTION_DAYS", "7"))  # then projected events are purged
# The relay vacuums the outbox itself when the server's autovacuum is off (see outbox.maintenance):
OUTBOX_VACUUM_DEAD_ROWS = int(
    os.environ.get("OUTBOX_VACUUM_DEAD_ROWS", "20000")
)  # dead rows that call for it; 0: never
OUTBOX_VACUUM_CHECK_INTERVAL = float(os.environ.get("OUTBOX_VACUUM_CHECK_INTERVAL", "30"))  # seconds between checks
READ_AFTER_TIMEOUT = float(os.environ.get("READ_AFTER_TIMEOUT", "2"))  # X-Read-After waits at most this long

# Operators' metrics (monitoring app): /metrics on the web; the relay and the worker serve theirs on these
# ports (0: off) at METRICS_BIND. METRICS_TOKEN set: scrapes need "Authorization: Bearer <token>"; unset:
# only loopback clients may scrape.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_BIND = os.environ.get("METRICS_BIND", "127.0.0.1")
RELAY_METRICS_PORT = int(os.environ.get("RELAY_METRICS_PORT", "0"))
WORKER_METRICS_PORT = int(os.environ.get("WORKER_METRICS_PORT", "0"))
# Seconds a process keeps a token's user and groups (hospital.token_cache): a revoked token or changed group
# membership takes effect in other processes within this bound; 0 reads them on every request.
AUTH_CACHE_SECONDS = float(os.environ.get("AUTH_CACHE_SECONDS", "5"))
