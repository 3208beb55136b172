"""The app as `make serve` runs it, plus the trivial route benchmarks/load.py compares every page with."""
from wsgi import app


@app.route("/_bench/trivial")
def bench_trivial():
    return "ok"
