import os
import stat

import pytest

from steward import config


def test_secret_key_is_generated_once_with_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    first = config.secret_key(tmp_path)
    second = config.secret_key(tmp_path)
    assert first == second and len(first) >= 50
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_must_be_long(tmp_path, monkeypatch):
    monkeypatch.setenv("STEWARD_SECRET_KEY", "short")
    with pytest.raises(config.ConfigError, match="at least 32"):
        config.secret_key(tmp_path)


def test_default_database_is_sqlite_in_wal_with_immediate_transactions(tmp_path):
    db = config.parse_database_url("", default_sqlite=tmp_path / "x.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "busy_timeout" in db["OPTIONS"]["init_command"]


def test_postgresql_url_is_parsed(tmp_path):
    db = config.parse_database_url(
        "postgresql://steward:p%40ss@db.internal:6543/steward?sslmode=require", default_sqlite=tmp_path / "x"
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "steward",
        "p@ss",
        "db.internal",
        "6543",
        "steward",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host/", "sqlite:///"])
def test_bad_database_urls_are_rejected_clearly(url, tmp_path):
    with pytest.raises(config.ConfigError):
        config.parse_database_url(url, default_sqlite=tmp_path / "x")


def test_booleans_and_integers(monkeypatch):
    monkeypatch.setenv("STEWARD_X", "yes")
    assert config.env_bool("STEWARD_X", False) is True
    monkeypatch.setenv("STEWARD_X", "maybe")
    with pytest.raises(config.ConfigError, match="not a boolean"):
        config.env_bool("STEWARD_X", False)
    monkeypatch.setenv("STEWARD_N", "ten")
    with pytest.raises(config.ConfigError, match="not an integer"):
        config.env_int("STEWARD_N", 1)


def test_smtp_url():
    smtp = config.parse_smtp_url("smtp+starttls://bot%40msp.example:s3cret@mail.msp.example")
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.use_tls) == (
        "mail.msp.example",
        587,
        "bot@msp.example",
        "s3cret",
        True,
    )
    assert config.parse_smtp_url("") is None
    with pytest.raises(config.ConfigError):
        config.parse_smtp_url("http://mail")
