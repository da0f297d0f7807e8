"""Test settings: a throwaway data dir, jobs run inline, and the database chosen by
``STEWARD_TEST_DATABASE_URL`` (PostgreSQL in CI) or SQLite otherwise."""

import os
import tempfile

os.environ["STEWARD_DATA_DIR"] = tempfile.mkdtemp(prefix="steward-test-")
os.environ["STEWARD_DATABASE_URL"] = os.environ.get("STEWARD_TEST_DATABASE_URL", "")
os.environ.setdefault("STEWARD_JOBS_IMMEDIATE", "1")
os.environ.setdefault("STEWARD_COOKIE_SECURE", "0")
os.environ.pop("STEWARD_REDIS_URL", None)

from steward.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher"
]  # speed only; Argon2 is tested explicitly
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # One test database per run, so parallel runs on a shared server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_steward_{os.getpid()}"}  # noqa: F405
    # Close connections after each request so no thread (e.g. the live server's) still
    # holds the test database when it is dropped.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
