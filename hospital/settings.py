"""Settings, all read from the environment in this one place.

| variable | default | meaning |
| --- | --- | --- |
| DATABASE_URL | embedded PostgreSQL in .data/ | the PostgreSQL server of the write and read models |
| REDIS_URL | embedded Redis in .data/ | the Celery broker (used in celery and dualwrite modes) |

Unset, DATABASE_URL and REDIS_URL are the addresses of this checkout's embedded servers (`hospital.local_servers`):
computed here, started by the entry points (`manage.py`, `make run`, `make test`), never by importing the settings.
| READ_MODEL_SYNC | unset | the mode `make run` switches the database to (trigger, celery, dualwrite); unset: keep it |
| DATABASE_REPLICA_URLS | (none) | comma-separated URLs of streaming replicas of DATABASE_URL for the query side |
| SECRET_KEY | a development key | Django's signing key; set it in production |
| DEBUG | 0 | Django debug mode (never on in production; API errors are JSON either way) |
| ALLOWED_HOSTS | 127.0.0.1,localhost | comma-separated host names |
"""

import os
from pathlib import Path

from hospital import local_servers
from hospital.database_url import database_settings
from hospital.replicas.config import replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = local_servers.default_data_dir()


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

# The database's mode row is the one truth about the sync mode (outbox.sync_mode.current_mode); this is only
# the mode `make run` switches the database to before starting that mode's processes (None: keep the database's).
# dualwrite (the source article's dual-write, opt-in for comparison, outbox/dualwrite.py) runs on the database's
# celery mode: the commands of a process with READ_MODEL_SYNC=dualwrite publish their events themselves.
READ_MODEL_SYNC = os.environ.get("READ_MODEL_SYNC", "").strip().lower() or None
if READ_MODEL_SYNC not in {None, "trigger", "celery", "dualwrite"}:
    raise ValueError(f"READ_MODEL_SYNC must be 'trigger', 'celery' or 'dualwrite', not {READ_MODEL_SYNC!r}")

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
    "drf_spectacular_sidecar",  # the docs UI's assets, served by us rather than a CDN
    "pgtrigger",
    "hospital",
    "prescriptions",
    "pharmacy",
    "outbox",
    "prontuario",
    "monitoring",
    "demo",
]

MIDDLEWARE = [
    "monitoring.middleware.RequestMetricsMiddleware",  # first: its latency covers the whole stack
    "hospital.api.http_errors.ApiErrorMiddleware",  # next: sees every /api/ response, shapes its errors
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hospital.admin_language.AdminLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hospital.api.unavailable.DatabaseUnavailableMiddleware",
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


DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL") or local_servers.postgres_url(DATA_DIR),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    ),
}
# A reused connection is checked before a request uses it, so the first requests after a PostgreSQL restart
# reconnect instead of failing on a dead socket.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = _env_bool("CONN_HEALTH_CHECKS", True)
# Read replicas (hospital.replicas): aliases replica_1, replica_2, ...; only the pharmacy's reads use them.
DATABASES.update(
    replica_databases(os.environ.get("DATABASE_REPLICA_URLS", ""), conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
)
DATABASE_ROUTERS = ["hospital.replicas.router.PrimaryRouter"]
REPLICA_MAX_LAG = float(os.environ.get("REPLICA_MAX_LAG", "5"))  # seconds behind: further, plain reads skip it
REPLICA_READ_WAIT = float(os.environ.get("REPLICA_READ_WAIT", "0.25"))  # a token read waits this long, then primary
REPLICA_CHECK_INTERVAL = float(os.environ.get("REPLICA_CHECK_INTERVAL", "1"))  # seconds between health checks
REPLICA_RETRY_INTERVAL = float(os.environ.get("REPLICA_RETRY_INTERVAL", "5"))  # a failed replica is retried after
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "pt-br"
TIME_ZONE = "America/Sao_Paulo"

# The hospital named at the top of every receita (pharmacy/receita.py).
HOSPITAL_NOME = os.environ.get("HOSPITAL_NOME", "Hospital Central")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns anonymous requests into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hospital.api.token_cache.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "hospital.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["hospital.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Prescrições hospitalares (CQRS)",
    "DESCRIPTION": (
        "Endpoints de comando para sistemas prescritores, de leitura para a farmácia e de cadastros (ids de "
        "médicos, pacientes e medicamentos).\n\n**Autenticação, em três passos:** 1. `POST /api/auth/token/` "
        'com `{"username": "...", "password": "..."}` devolve `{"token": "<chave>"}`; 2. clique em **Authorize** '
        "e cole `Token <chave>`: a palavra `Token`, um espaço e a chave (só a chave dá 401); 3. use **Try it "
        "out** em qualquer operação. Fora daqui, envie o cabeçalho `Authorization: Token <chave>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "hospital.api.openapi.document_errors"],
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True},
    # Only the token in the docs' Authorize dialog: a newcomer pastes the token there, not a session cookie.
    "AUTHENTICATION_WHITELIST": ["hospital.api.token_cache.CachedTokenAuthentication"],
}


# REDIS_URL, else this checkout's embedded Redis (started by `manage.py outbox_relay` and `make run` in celery mode).
REDIS_URL = os.environ.get("REDIS_URL") or local_servers.redis_url(DATA_DIR)
CELERY_BROKER_URL = REDIS_URL
# The Celery app the outbox publishes through (the outbox names it here rather than importing the project).
OUTBOX_CELERY_APP = "hospital.celery.app"
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
# A message a worker took and never acknowledged (worker killed) is handed out again by Kombu after this many
# seconds (Kombu's default: an hour). The relay republishes lost events much sooner (OUTBOX_REPUBLISH_AFTER); this
# is the backstop while the queue stays busy. It must exceed the longest task and the longest retry countdown
# (pharmacy.tasks: 60 s), or running tasks are handed out twice.
BROKER_VISIBILITY_TIMEOUT = float(os.environ.get("BROKER_VISIBILITY_TIMEOUT", "300"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
}
# Celery's Django fixup closes every database connection before and after each task unless this is set, so
# every message would pay for a new PostgreSQL backend and the worker would bound the async lag. With it, a
# worker process keeps its connection (closed and reopened every N tasks; CONN_MAX_AGE and the
# unusable-connection checks still apply).
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Outbox relay and Celery projector (asynchronous mode). Durations in seconds.
# The Celery application the relay and dual-write publish through (dotted path).
OUTBOX_CELERY_APP = "hospital.celery.app"
OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "1000"))  # events claimed per relay transaction
OUTBOX_MESSAGE_SIZE = int(os.environ.get("OUTBOX_MESSAGE_SIZE", "200"))  # events per Celery message
OUTBOX_POLL_INTERVAL = float(os.environ.get("OUTBOX_POLL_INTERVAL", "2"))  # fallback when no NOTIFY arrives
# After a NOTIFY wakes it, the relay waits this long so that commits arriving together share one pass and one
# message: fewer claims and Celery tasks per event under load, for at most this much more lag.
OUTBOX_LINGER = float(os.environ.get("OUTBOX_LINGER", "0.005"))
# A claim lasts this long before another relay may take it over (a relay killed or frozen mid-pass): longer than a
# pass with a hung broker (BROKER_SOCKET_TIMEOUT and two retries, about 16 s), short for recovery.
OUTBOX_LEASE = float(os.environ.get("OUTBOX_LEASE", "20"))
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))  # then the event is dead-lettered
OUTBOX_BACKOFF_BASE = float(os.environ.get("OUTBOX_BACKOFF_BASE", "1"))  # retry n waits base * 2**(n-1) ...
OUTBOX_BACKOFF_MAX = float(os.environ.get("OUTBOX_BACKOFF_MAX", "300"))  # ... capped here
# Published but still not projected after this long, with the broker's queue empty (message lost: worker killed,
# Redis restarted): publish again. Checked every quarter of it; see outbox.relay.run.
OUTBOX_REPUBLISH_AFTER = float(os.environ.get("OUTBOX_REPUBLISH_AFTER", "15"))
OUTBOX_RETENTION_DAYS = float(os.environ.get("OUTBOX_RETENTION_DAYS", "7"))  # then projected events are purged
# The relay vacuums the outbox itself when the server's autovacuum is off (see outbox.maintenance):
OUTBOX_VACUUM_DEAD_ROWS = int(
    os.environ.get("OUTBOX_VACUUM_DEAD_ROWS", "20000")
)  # dead rows that call for it; 0: never
OUTBOX_VACUUM_CHECK_INTERVAL = float(os.environ.get("OUTBOX_VACUUM_CHECK_INTERVAL", "30"))  # seconds between checks
READ_AFTER_TIMEOUT = float(os.environ.get("READ_AFTER_TIMEOUT", "2"))  # X-Read-After waits at most this long
# ... and at most this many requests of one web process wait at a time (the rest: 503 at once)
READ_AFTER_MAX_WAITERS = int(os.environ.get("READ_AFTER_MAX_WAITERS", "2"))

# Operators' metrics (monitoring app): /metrics on the web; the relay and the worker serve theirs on these
# ports (0: off) at METRICS_BIND. METRICS_TOKEN set: scrapes need "Authorization: Bearer <token>"; unset:
# only loopback clients may scrape.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_BIND = os.environ.get("METRICS_BIND", "127.0.0.1")
RELAY_METRICS_PORT = int(os.environ.get("RELAY_METRICS_PORT", "0"))
WORKER_METRICS_PORT = int(os.environ.get("WORKER_METRICS_PORT", "0"))
# Seconds a process keeps a token's user and groups (hospital.api.token_cache): a revoked token or changed group
# membership takes effect in other processes within this bound; 0 reads them on every request.
AUTH_CACHE_SECONDS = float(os.environ.get("AUTH_CACHE_SECONDS", "5"))
# Plain pharmacy reads answered by the WSGI handler (pharmacy.fast_reads); 0 sends every read through DRF.
PHARMACY_FAST_READS = _env_bool("PHARMACY_FAST_READS", True)
