"""Configuration classes for Reachboard.

The environment is read when a config object is instantiated (inside the app factory),
never at import time, so tests can set variables before building an app.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def instance_dir() -> Path:
    """Where the default SQLite database and the generated development key live."""
    return Path(os.environ.get("REACHBOARD_INSTANCE") or BASE_DIR / "instance")


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{instance_dir() / name}"


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        env = os.environ
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("DATABASE_URL") or self.default_database_url()
        )
        self.SECRET_KEY = env.get("SECRET_KEY") or self.default_secret_key()
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO").upper()
        self.PUSH_RATE_LIMIT = env.get("PUSH_RATE_LIMIT", "600 per minute")
        self.API_RATE_LIMIT = env.get("API_RATE_LIMIT", "3000 per minute")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Namespaces the limit counters in a Redis shared with other apps (or test runs).
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "reachboard")
        self.RATELIMIT_ENABLED = env.get("RATELIMIT_ENABLED", "1") not in ("0", "false", "no")
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", self.DEFAULT_LOGIN_RATE_LIMIT)
        self.LOGIN_ACCOUNT_RATE_LIMIT = env.get("LOGIN_ACCOUNT_RATE_LIMIT", self.DEFAULT_LOGIN_ACCOUNT_RATE_LIMIT)
        # Wrong PINs per share link (backend/share/), counted in the limiter's storage across workers.
        self.SHARE_PIN_RATE_LIMIT = env.get("SHARE_PIN_RATE_LIMIT", "5 per 15 minutes")
        # How many reverse proxies (nginx) stand in front of the app: their X-Forwarded-For and
        # X-Forwarded-Proto are then trusted for the client's address and scheme.
        self.PROXY_COUNT = int(env.get("PROXY_COUNT", "0") or 0)
        # SQLite only: PRAGMA journal_size_limit (the WAL is cut back to it when the log restarts;
        # /healthz warns above it) and how often the periodic checkpoint looks at the WAL
        # (backend/wal_checkpointer.py; 0 = never).
        self.SQLITE_JOURNAL_SIZE_LIMIT = int(float(env.get("SQLITE_WAL_LIMIT_MB", "64")) * 1024 * 1024)
        self.SQLITE_CHECKPOINT_INTERVAL = float(env.get("SQLITE_CHECKPOINT_INTERVAL", "10") or 0)
        # The job queue (backend/jobs/): Huey on a SQLite file under instance/ by default, on Redis
        # when REDIS_URL is set (JOBS_BACKEND=auto) or asked for; JOBS_IMMEDIATE runs every job
        # inline where it is enqueued (the tests), with no queue and no consumer.
        self.JOBS_BACKEND = env.get("JOBS_BACKEND", "auto").strip().lower() or "auto"
        self.JOBS_SQLITE_PATH = env.get("JOBS_SQLITE_PATH") or str(instance_dir() / "jobs.db")
        # Three threads: a webhook delivery then finds one free while a report's PDF and an alert
        # evaluation run (with two it waited behind them, a 1.2 s delivery in issue 19's soak).
        self.JOBS_WORKERS = int(env.get("JOBS_WORKERS", "3") or 3)
        self.JOBS_QUEUE_NAME = env.get("JOBS_QUEUE_NAME", "reachboard")
        self.JOBS_IMMEDIATE = env.get("JOBS_IMMEDIATE", self.DEFAULT_JOBS_IMMEDIATE) in ("1", "true", "yes")
        # E-mail (backend/services/mail.py, Flask-Mail): SMTP to MAIL_SERVER when it is set,
        # otherwise each message is an .eml file in MAIL_OUTBOX_DIR (MAIL_BACKEND forces one).
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_BACKEND = (env.get("MAIL_BACKEND") or ("smtp" if self.MAIL_SERVER else "outbox")).strip().lower()
        self.MAIL_PORT = int(env.get("MAIL_PORT", "587") or 587)
        self.MAIL_USE_TLS = _flag(env.get("MAIL_USE_TLS", "1"))
        self.MAIL_USE_SSL = _flag(env.get("MAIL_USE_SSL", "0"))
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER") or "reachboard@localhost"
        self.MAIL_TIMEOUT = float(env.get("MAIL_TIMEOUT", "30") or 30)
        self.MAIL_OUTBOX_DIR = env.get("MAIL_OUTBOX_DIR") or self.default_outbox_dir()
        # The app's address as its users reach it, for links sent by e-mail (a report's share link).
        self.PUBLIC_BASE_URL = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").strip().rstrip("/")
        # Webhooks (backend/services/webhooks.py, backend/jobs/webhooks.py): loopback receivers are
        # refused unless allowed (development and tests); https only in production; the seconds a
        # receiver gets; the hours an old secret keeps signing after a rotation; the hours an
        # endpoint may fail without a success before it is disabled.
        self.WEBHOOKS_ALLOW_LOOPBACK = _flag(env.get("WEBHOOKS_ALLOW_LOOPBACK", self.DEFAULT_WEBHOOKS_ALLOW_LOOPBACK))
        self.WEBHOOKS_REQUIRE_HTTPS = _flag(env.get("WEBHOOKS_REQUIRE_HTTPS", self.DEFAULT_WEBHOOKS_REQUIRE_HTTPS))
        self.WEBHOOKS_TIMEOUT = float(env.get("WEBHOOKS_TIMEOUT", "10") or 10)
        self.WEBHOOKS_ROTATION_OVERLAP_HOURS = float(env.get("WEBHOOKS_ROTATION_OVERLAP_HOURS", "24") or 24)
        self.WEBHOOKS_DISABLE_AFTER_HOURS = float(env.get("WEBHOOKS_DISABLE_AFTER_HOURS", "24") or 24)

    # --- defaults an environment may override -----------------------------------------
    def default_database_url(self) -> str:
        return _sqlite_url("reachboard.db")

    def default_secret_key(self) -> str:
        raise RuntimeError("SECRET_KEY must be set")

    def default_outbox_dir(self) -> str:
        return str(instance_dir() / "outbox")

    # --- static settings ---------------------------------------------------------------
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    DEFAULT_JOBS_IMMEDIATE = "0"
    DEFAULT_WEBHOOKS_ALLOW_LOOPBACK = "0"
    DEFAULT_WEBHOOKS_REQUIRE_HTTPS = "0"
    # /manage/outbox (the outbox's .eml files): development and testing only, 404 elsewhere.
    MAIL_OUTBOX_PAGE = False
    DEFAULT_LOGIN_RATE_LIMIT = "20 per minute"
    # Failed logins per account (any address): stops password guessing spread over many addresses.
    DEFAULT_LOGIN_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"
    # Flask-Limiter's headers under the IETF names (Reset: Unix time; Retry-After: seconds).
    RATELIMIT_HEADER_LIMIT = "RateLimit-Limit"
    RATELIMIT_HEADER_REMAINING = "RateLimit-Remaining"
    RATELIMIT_HEADER_RESET = "RateLimit-Reset"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Request bodies: 5 MiB is the metrics push limit; a CSV import may be 50 MB (backend/bounds.py),
    # a form upload of one a little more (the multipart envelope).
    MAX_CONTENT_LENGTH = 51 * 1000 * 1000
    MAX_JSON_BYTES = 5 * 1024 * 1024
    MAX_POINTS_PER_PUSH = 10_000
    # A running Idempotency-Key marker is abandoned after this lease (or at once when its worker
    # process is gone): a request killed mid-way does not block retries for long.
    IDEMPOTENCY_LEASE_SECONDS = 30

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False

    # Argon2id parameters (argon2-cffi defaults: t=3, m=64 MiB, p=4).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    API_TITLE = "Reachboard API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"
    API_SPEC_OPTIONS = {
        "info": {
            "description": "Plan and measure a company's presence on social media. "
            "Authenticate with `Authorization: Bearer <api key>`.",
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key (rb_...)"}
            }
        },
        "security": [{"bearerAuth": []}],
        # Relative: the host that served this document (paths start with /api/v1). Generated
        # clients take their base URL as an argument (docs/api.md).
        "servers": [{"url": "/", "description": "The server that serves this document"}],
    }
    PAGINATION_MAX_PAGE_SIZE = 1000

    def as_dict(self) -> dict:
        out = {}
        for klass in reversed(type(self).__mro__):
            out.update({k: v for k, v in vars(klass).items() if k.isupper()})
        out.update({k: v for k, v in vars(self).items() if k.isupper()})
        return out


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEFAULT_WEBHOOKS_ALLOW_LOOPBACK = "1"
    DEBUG = False
    MAIL_OUTBOX_PAGE = True

    def default_secret_key(self) -> str:
        """Generate a key once and keep it under instance/ so sessions survive restarts."""
        folder = instance_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    DEFAULT_LOGIN_RATE_LIMIT = "10000 per minute"
    DEFAULT_LOGIN_ACCOUNT_RATE_LIMIT = "10000 per minute"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    DEFAULT_JOBS_IMMEDIATE = "1"  # jobs run inline, on an in-memory queue
    DEFAULT_WEBHOOKS_ALLOW_LOOPBACK = "1"  # the webhook tests' receivers listen on loopback
    MAIL_OUTBOX_PAGE = True

    def default_database_url(self) -> str:
        return "sqlite:///:memory:"

    def default_secret_key(self) -> str:
        return "testing-secret-key-not-for-production"

    def default_outbox_dir(self) -> str:
        """Never the development outbox: a folder of this test process under the temp dir."""
        import tempfile

        return str(Path(tempfile.gettempdir()) / f"reachboard-test-outbox-{os.getpid()}")


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEFAULT_WEBHOOKS_REQUIRE_HTTPS = "1"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def default_secret_key(self) -> str:
        raise RuntimeError("ProductionConfig refuses to start without SECRET_KEY in the environment")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


def normalise_database_url(url: str) -> str:
    """Make plain postgres URLs use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(config=None) -> dict:
    """Resolve a config given as None, a name, a class, an instance or a dict."""
    if config is None:
        config = os.environ.get("REACHBOARD_ENV", "development")
    if isinstance(config, str):
        config = CONFIGS[config]
    if isinstance(config, type):
        config = config()
    if isinstance(config, dict):
        return dict(config)
    return config.as_dict()
