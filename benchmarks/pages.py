"""Single requests, in-process, against data benchmarks/load.py kept: ms and SQL statements per page.

    .venv/bin/python benchmarks/load.py --offerings 10000 --demands 10000 --keep /tmp/k10 --connections 8 --seconds 1
    .venv/bin/python benchmarks/pages.py /tmp/k10                    # median of --repeat requests per page
    .venv/bin/python benchmarks/pages.py /tmp/k10 --profile /        # a pyinstrument profile of one page

The trivial route is timed the same way, so the ratio says how far a page is above the per-request floor.
CPU ms (this process's CPU time, SQLite included; not PostgreSQL's) is the figure to compare on a shared machine; wall ms
grows with whatever else runs.
Matching is off in this process unless --matching (then pages read the stored matches, as served; the index is for
"why this match" only). --no-cache measures what a view costs when its short caches have expired.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-2026"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", help="the --keep folder of benchmarks/load.py (SQLite or PostgreSQL)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--matching", action="store_true", help="matching on, as served: pages read the stored matches "
                        "(the index is not loaded; no measured page ranks)")
    parser.add_argument("--no-cache", action="store_true", help="no short caches (home counts, dashboard figures, browse totals, search rankings)")
    parser.add_argument("--slow-sql", type=int, default=0, help="under each page, its N slowest statements (last request)")
    parser.add_argument("--profile", default="", help="print a pyinstrument profile of this path instead")
    args = parser.parse_args()
    folder = Path(args.folder)
    os.environ["INSTANCE_PATH"] = str(folder)
    ids = json.loads((folder / "ids.json").read_text())

    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.extensions import db

    url = ids.get("url") or f"sqlite:///{folder / 'load.sqlite3'}"  # a PostgreSQL database load.py --keep kept, or its SQLite file
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "MATCHING_ENABLED": args.matching, "MATCHING_INDEX_DIR": str(folder / "matching"), "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False,
                      **({"HOME_CACHE_SECONDS": 0, "DASHBOARD_CACHE_SECONDS": 0, "BROWSE_COUNT_CACHE_SECONDS": 0,
                          "SEARCH_CACHE_SECONDS": 0} if args.no_cache else {})})

    @app.route("/_bench/trivial")
    def bench_trivial():
        return "ok"

    statements: list[list] = []  # [SQL, started, ms] of the request being timed

    def started(conn, cursor, sql, *rest):
        statements.append([sql, time.perf_counter(), 0.0])

    def ended(conn, cursor, sql, *rest):
        statements[-1][2] = (time.perf_counter() - statements[-1][1]) * 1000

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", started)
        sa.event.listen(db.engine, "after_cursor_execute", ended)

    clients = {}
    for who in ("owner", "seller", "officer"):
        client = app.test_client()
        response = client.post("/login", data={"email": f"{who}@bench.example", "password": PASSWORD})
        assert response.status_code == 302, f"login failed for {who}"
        clients[who] = client
    clients[""] = app.test_client()
    from load import bench_pages  # benchmarks/load.py: the same pages

    pages = bench_pages(ids)
    headers = {"Accept-Language": "zh-CN"}
    if args.profile:
        from pyinstrument import Profiler

        who = next((w for _, p, w in pages if p == args.profile), "")
        clients[who].get(args.profile, headers=headers)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.repeat):
            clients[who].get(args.profile, headers=headers)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("PROFILE_ALL"))))
        return
    print(f"{'page':32}{'wall ms':>9}{'CPU ms':>9}{'SQL':>6}{'CPU ratio':>10}")
    floor = None
    for name, path, who in pages:
        clients[who].get(path, headers=headers)  # warm-up (templates compiled, caches filled)
        times, cpu = [], []
        for _ in range(args.repeat):
            statements.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = clients[who].get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        ms, cpu_ms = statistics.median(times), statistics.median(cpu)
        floor = floor or cpu_ms
        print(f"{name:32}{ms:>9.1f}{cpu_ms:>9.1f}{len(statements):>6}{floor / cpu_ms:>10.3f}", flush=True)
        for sql, _, sql_ms in sorted(statements, key=lambda s: -s[2])[:args.slow_sql]:
            print(f"    {sql_ms:7.1f} ms  {' '.join(sql.split())[:150]}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
