"""gunicorn settings for `make serve` and production: `gunicorn -c gunicorn.conf.py wsgi:app`.

HOST, PORT and WEB_WORKERS choose the address and the number of worker processes. The master
loads the app, the embedding model, jieba and the match index once (preload_app) and then forks
the workers, which share those pages and are ready as soon as they start; each catches up from the
database before its first live ranking. WEB_PRELOAD=0 loads them in each worker instead
(post_worker_init, in a background thread so gunicorn's heartbeat keeps running); /healthz answers
503 until it is done. Set-ups whose login limits would not hold (several workers counting in their
own memory) are refused.
"""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
accesslog = os.environ.get("ACCESS_LOG") or None
preload_app = os.environ.get("WEB_PRELOAD", "1") != "0"


def on_starting(server):
    from marketplace.serving import check_rate_limit_storage

    check_rate_limit_storage(server.cfg.workers, os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    if server.cfg.preload_app:
        from marketplace.matches.engine import preload

        preload(server.app.wsgi())


def post_fork(server, worker):
    from marketplace.matches.engine import after_fork

    after_fork()


def post_worker_init(worker):
    from marketplace.matches.engine import warm_start

    warm_start(worker.wsgi)  # a no-op when the master preloaded it
