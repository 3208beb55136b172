"""gunicorn settings read from this folder (`gunicorn wsgi:app`): refuse set-ups whose limits would not hold."""
import os


def on_starting(server):
    from marketplace.serving import check_rate_limit_storage

    check_rate_limit_storage(server.cfg.workers, os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
