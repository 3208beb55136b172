"""Configuration read from the environment, with embedded defaults."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from marketplace.matching.fusion import STRONG_MATCH_PROBABILITY


CACHE_SETTINGS = ("HOME_CACHE_SECONDS", "DASHBOARD_CACHE_SECONDS", "TAXONOMY_CACHE_SECONDS", "BROWSE_COUNT_CACHE_SECONDS",
                  "SEARCH_CACHE_SECONDS")


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def load_secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def default_config(instance_path: str) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'marketplace.sqlite3'}"
    # Heroku-style URLs name the old driver; psycopg 3 is what we ship.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, trust no such header).
        "PROXY_FIX_HOPS": int(os.environ.get("PROXY_FIX_HOPS", "0") or 0),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_CN": "中文", "en": "English"},
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        "LOGIN_LIMIT_PER_ACCOUNT_TOTAL": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT_TOTAL", "100 per hour"),
        "LOGIN_SLOWDOWN_SECONDS": _env_float("LOGIN_SLOWDOWN_SECONDS", 2.0),
        "PER_PAGE": 20,
        # JSON API v1 (marketplace/api): requests per token (per address without one); webhooks to http://127.0.0.1
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "120 per minute"),
        "WEBHOOKS_ALLOW_LOCAL_HTTP": os.environ.get("WEBHOOKS_ALLOW_LOCAL_HTTP", "0") == "1",
        # Uploads live in the database (marketplace.files); this folder is read only by the migration that moved them there.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(Path(instance_path) / "uploads")),
        # Matcher
        # "" = multilingual-e5-small (built by make install); "all-MiniLM-L6-v2"; or a model folder
        "EMBEDDING_MODEL": os.environ.get("EMBEDDING_MODEL", ""),
        "MATCHING_ENABLED": os.environ.get("MATCHING_ENABLED", "1") == "1",
        "MATCHING_INDEX_DIR": os.environ.get("MATCHING_INDEX_DIR", str(Path(instance_path) / "matching")),
        "MATCHING_APPROX_THRESHOLD": int(os.environ.get("MATCHING_APPROX_THRESHOLD", 50_000)),
        # Fusion weights, e.g. '{"dense": 0.5, "scenario": 0.2}'; unnamed ones keep their defaults.
        "MATCHING_WEIGHTS": json.loads(os.environ.get("MATCHING_WEIGHTS") or "{}"),
        # Mail: without MAIL_SERVER, messages are written to instance/mail/ and shown on /admin/mail.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "AI+制造供需对接平台 <noreply@localhost>"),
        "MAIL_FOLDER": os.environ.get("MAIL_FOLDER", str(Path(instance_path) / "mail")),
        # Links in mail sent by background jobs (no request to take the host from).
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # A calibrated probability of relevance: the matcher's strong-match line by default.
        "MATCHING_COUNT_THRESHOLD": _env_float("MATCHING_COUNT_THRESHOLD", STRONG_MATCH_PROBABILITY),
        # Per-process caches (marketplace/cache.py): only when set, so tests keep them off by default.
        **{name: float(os.environ[name]) for name in CACHE_SETTINGS if os.environ.get(name)},
    }
