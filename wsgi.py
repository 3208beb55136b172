"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app` (the config warms each worker up)."""
import sys

from marketplace import create_app

app = create_app()

if len(sys.argv) > 1 and sys.argv[1] == "run":  # the development server (`flask run`): warm up at start too
    from marketplace.matches.engine import warm_start

    warm_start(app)
