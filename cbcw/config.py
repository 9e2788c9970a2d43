"""Configuration classes, read from the environment (see README's configuration table)."""
import os
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
# A fixed Fernet key for development and tests only; production must set CBCW_ENCRYPTION_KEYS.
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="
DEMO_CLIENT_ID = "3f6b5c52-9a2e-4c4b-8e2f-2d7c1c0b9a11"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'changebreeze.sqlite'}")
    # Hosting platforms still hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _integrations() -> tuple[str, ...]:
    """The integrations to load, as dotted paths to their declarations (`cbcw.integrations.spec`)."""
    value = os.environ.get("CBCW_INTEGRATIONS")
    if value is None:
        return ("cbcw.connectwise.integration.CONNECTWISE",)
    return tuple(path.strip() for path in value.split(",") if path.strip())


class Config:
    ENV_NAME = "production"
    INSTANCE_DIR = INSTANCE_DIR
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=min(_int("REMEMBER_ME_DAYS", 30), 30))
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    MAX_CONTENT_LENGTH = _int("MAX_REQUEST_BYTES", 2 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = _int("MAX_FIELD_BYTES", 500_000)
    TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", 0)
    LOGIN_MAX_ATTEMPTS = _int("LOGIN_MAX_ATTEMPTS", 5)
    LOGIN_WINDOW_SECONDS = _int("LOGIN_WINDOW_SECONDS", 900)
    LOGIN_MAX_DELAY_SECONDS = _int("LOGIN_MAX_DELAY_SECONDS", 60)
    CHANGES_PER_PAGE = 25
    DEVICES_PER_PAGE = 50
    CSV_BATCH_ROWS = 500  # rows a CSV download reads and sends at a time (cbcw/main/csv_download.py)
    PASSWORD_HASH_METHOD = "scrypt"
    # In this order: the change page's panels and previews, and the first ticket system enabled
    # for an organisation is the one its change form uses (cbcw/integrations/registry.py).
    INTEGRATIONS = _integrations()
    ENCRYPTION_KEYS = os.environ.get("CBCW_ENCRYPTION_KEYS", "")
    CW_CLIENT_ID = os.environ.get("CW_CLIENT_ID", "")
    CW_ALLOW_HTTP = _flag("CW_ALLOW_HTTP")
    CW_API_VERSION = os.environ.get("CW_API_VERSION", "2025.1")
    CW_CONNECT_TIMEOUT = float(os.environ.get("CW_CONNECT_TIMEOUT", "5"))
    CW_READ_TIMEOUT = float(os.environ.get("CW_READ_TIMEOUT", "20"))
    # Seconds an interactive ConnectWise call (page, typeahead, Test Connection) may take in total.
    CW_INTERACTIVE_BUDGET = float(os.environ.get("CW_INTERACTIVE_BUDGET", "10"))
    # Base URLs on loopback are refused in production; development and tests talk to the simulator.
    CW_ALLOW_LOOPBACK = False
    CW_ALLOWED_PRIVATE_NETWORKS = os.environ.get("CW_ALLOWED_PRIVATE_NETWORKS", "")
    CW_SIMULATOR_URL = os.environ.get(
        "CW_SIMULATOR_URL", "http://127.0.0.1:5055/v4_6_release/apis/3.0"
    )
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    # Register ConnectWise callbacks at APP_BASE_URL when settings are saved (PRODUCT §3.11).
    CW_CALLBACKS = _flag("CW_CALLBACKS", True)
    CW_SYNC_HOUR = int(os.environ.get("CW_SYNC_HOUR", "2"))
    CW_SYNC_PAGE_SIZE = max(1, min(1000, int(os.environ.get("CW_SYNC_PAGE_SIZE", "1000"))))
    # Outbox delivery (PRODUCT §3.8): the threads of each scheduler process's delivery worker
    # (writes of that many tickets in flight), its leases, the longest one `flask deliver` run
    # lasts, and the pace per organisation.
    CW_DELIVERY_THREADS = int(os.environ.get("CW_DELIVERY_THREADS", "4"))
    # A deliverer's lease on a write, renewed every third of it while it works: a deliverer that
    # dies mid-write is taken over this long after (at most a minute, PRODUCT §3.8).
    CW_DELIVERY_LEASE_SECONDS = min(60.0, max(1.0, float(os.environ.get("CW_DELIVERY_LEASE_SECONDS", "30"))))
    CW_DELIVERY_RUN_SECONDS = float(os.environ.get("CW_DELIVERY_RUN_SECONDS", "25"))
    CW_REQUESTS_PER_SECOND = float(os.environ.get("CW_REQUESTS_PER_SECOND", "10"))
    # E-mail (PRODUCT §2.9): smtp://host:port[?starttls=true] or smtps://host:port; unset in
    # development, messages are written to the log and listed at /dev/mail.
    SMTP_URL = os.environ.get("SMTP_URL", "")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "changebreeze@localhost")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    ENCRYPTION_KEYS = os.environ.get("CBCW_ENCRYPTION_KEYS") or DEV_ENCRYPTION_KEY
    CW_CLIENT_ID = os.environ.get("CW_CLIENT_ID") or DEMO_CLIENT_ID
    CW_ALLOW_HTTP = _flag("CW_ALLOW_HTTP", True)
    CW_ALLOW_LOOPBACK = True


class TestConfig(DevelopmentConfig):
    """Every outside effect off: an in-memory database unless DATABASE_URL says otherwise."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or (
        _database_url() if os.environ.get("DATABASE_URL") else "sqlite://"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {}
    LOGIN_MAX_ATTEMPTS = 5
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashes keep the suite quick
    CW_CONNECT_TIMEOUT = 1.0
    CW_READ_TIMEOUT = 2.0
    CW_REQUESTS_PER_SECOND = 0.0  # no pace: tests of the pace set their own
    CW_CALLBACKS = False  # no registrations unless a test of callbacks turns them on


CONFIGS = {"development": DevelopmentConfig, "production": Config, "testing": TestConfig}


def config_from_env() -> type[Config]:
    """The class named by CBCW_ENV (development by default for `make run`)."""
    name = os.environ.get("CBCW_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"CBCW_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
