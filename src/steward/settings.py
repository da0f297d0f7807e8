"""Django settings for Steward, driven by ``STEWARD_*`` environment variables (see config.py)."""

from __future__ import annotations

import os
from pathlib import Path

from steward import config
from steward.jobs import build_huey

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.env_bool("STEWARD_DEBUG", False)
ALLOWED_HOSTS = config.env_list("STEWARD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = config.env_list("STEWARD_CSRF_TRUSTED_ORIGINS", [])

DATABASES = {
    "default": config.parse_database_url(
        os.environ.get("STEWARD_DATABASE_URL", ""), default_sqlite=DATA_DIR / "steward.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("STEWARD_REDIS_URL", "")
HUEY = build_huey(
    data_dir=DATA_DIR, redis_url=REDIS_URL, immediate=config.env_bool("STEWARD_JOBS_IMMEDIATE", False)
)

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "huey.contrib.djhuey",
    "steward.core",
    "steward.devices",
    "steward.servicedesk",
    "steward.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "steward.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "steward.core.middleware.SessionMfaMiddleware",
    "steward.core.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "steward.urls"
WSGI_APPLICATION = "steward.wsgi.application"

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
                "steward.web.context_processors.navigation",
            ],
        },
    }
]

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["steward.core.auth.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "steward.core.passwords.MaximumLengthValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# Login throttling: per account and per source address.
STEWARD_LOGIN_MAX_FAILURES = config.env_int("STEWARD_LOGIN_MAX_FAILURES", 5)
STEWARD_LOGIN_LOCKOUT_SECONDS = config.env_int("STEWARD_LOGIN_LOCKOUT_SECONDS", 15 * 60)
STEWARD_LOGIN_MAX_FAILURES_PER_ADDRESS = config.env_int("STEWARD_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
# Provider staff (admins and technicians) must enrol in MFA before using Steward.
STEWARD_REQUIRE_STAFF_MFA = config.env_bool("STEWARD_REQUIRE_STAFF_MFA", False)

# Cookies are Secure unless explicitly turned off (the loopback demo of `make run`).
COOKIE_SECURE = config.env_bool("STEWARD_COOKIE_SECURE", True)
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_SECURE = COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = config.env_int("STEWARD_SESSION_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_NAME = "steward_session" if not COOKIE_SECURE else "__Host-steward_session"
CSRF_COOKIE_SECURE = COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "steward_csrf" if not COOKIE_SECURE else "__Host-steward_csrf"
CSRF_FAILURE_VIEW = "steward.web.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config.env_bool("STEWARD_HTTPS", False):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if config.env_bool("STEWARD_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from here after collectstatic
STATICFILES_DIRS: list[tuple[str, Path]] = []
_HTMX_DIST = PROJECT_DIR / "node_modules" / "htmx.org" / "dist"
if _HTMX_DIST.is_dir():
    STATICFILES_DIRS.append(("vendor/htmx", _HTMX_DIST))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_FROM_EMAIL = os.environ.get("STEWARD_FROM_EMAIL", "Steward <steward@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_smtp = config.parse_smtp_url(os.environ.get("STEWARD_SMTP_URL", ""))
if _smtp is None:
    # No SMTP configured: mail is written to files so nothing is lost and the demo can show it.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.host
    EMAIL_PORT = _smtp.port
    EMAIL_HOST_USER = _smtp.username
    EMAIL_HOST_PASSWORD = _smtp.password
    EMAIL_USE_TLS = _smtp.use_tls
    EMAIL_USE_SSL = _smtp.use_ssl
    EMAIL_TIMEOUT = 20

SITE_URL = os.environ.get("STEWARD_SITE_URL", "http://127.0.0.1:8000")

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("STEWARD_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs request bodies nowhere, but 4xx warnings are noise for an API that
        # answers bad input by design.
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}

# --- devices ingest ---
# Agent heartbeats go through a per-process group-commit writer (docs/ingest.md): request
# threads wait until their heartbeat is committed, in batches of up to MAX_BATCH.
STEWARD_INGEST_GROUP_COMMIT = config.env_bool("STEWARD_INGEST_GROUP_COMMIT", True)
STEWARD_INGEST_MAX_BATCH = config.env_int("STEWARD_INGEST_MAX_BATCH", 500)
STEWARD_INGEST_WAIT_SECONDS = config.env_int("STEWARD_INGEST_WAIT_SECONDS", 15)
# Device state (revoked? quarantined? interval, want_inventory) cached per process is
# re-read after this many seconds: revocation and quarantine take effect within it.
STEWARD_AGENT_AUTH_CACHE_SECONDS = config.env_int("STEWARD_AGENT_AUTH_CACHE_SECONDS", 5)

# --- service desk ---
SERVICEDESK_MAX_ATTACHMENT_BYTES = config.env_int("STEWARD_MAX_ATTACHMENT_MB", 25) * 1024 * 1024
SERVICEDESK_MAX_ATTACHMENTS = config.env_int("STEWARD_MAX_ATTACHMENTS", 20)
SERVICEDESK_MAX_MESSAGE_BYTES = config.env_int("STEWARD_MAX_MAIL_MB", 50) * 1024 * 1024
