"""Concurrent small writes during a 1,000-row demand import, on SQLite under `gunicorn --workers 2`.

    .venv/bin/python benchmarks/sqlite_writes.py                       # this checkout
    .venv/bin/python benchmarks/sqlite_writes.py --repo /work/main     # another checkout (e.g. main), same script

It builds a fresh SQLite database in a temporary instance folder (through the checkout's own
models), serves the checkout with gunicorn (2 workers) on loopback, and starts `flask jobs
worker` too when the checkout has one. Then, in the same run:
  1. baseline: N small writes (a provider bookmarking / un-bookmarking open demands: a read,
     then a write) from C threads, with nothing else running;
  2. the same N writes while a manufacturer imports a ROWS-row .xlsx through the import pages.
It prints, for both, how many writes failed (HTTP 5xx or no answer) and their p50/max latency,
the ratio of p50 under import to the baseline, and how long the import took to be committed.
Everything is bounded: N writes, one import, a timeout per request. The matcher is off unless
--matching is given (then each worker loads the embedding model first, and vectors are encoded).
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

PASSWORD = "benchmark-password-2026"
SETUP = r"""
import sys
from marketplace import create_app
from marketplace.extensions import db
from marketplace.auth.passwords import hash_password
from marketplace.auth.models import User
from marketplace.orgs.models import Organisation
from marketplace.demands.models import Demand, DemandList
from marketplace.taxonomy.services import by_code, load_taxonomy_files
from marketplace.db import utc_now

demands, providers = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    load_taxonomy_files(db.session)
    city, industry = by_code("city", "weifang"), by_code("industry", "C34")
    pw = hash_password(sys.argv[3])
    maker = Organisation(kind="manufacturer", name="基准制造企业", credit_code="91370700MA00000011", city_id=city.id, industry_id=industry.id)
    db.session.add(maker); db.session.flush()
    db.session.add(User(email="maker@bench.example", name="maker", password_hash=pw, org=maker, org_role="owner"))
    db.session.add(DemandList(title="基准导入清单", publisher_org_id=maker.id))
    for i in range(demands):
        db.session.add(Demand(org_id=maker.id, title=f"基准需求 {i}", description="用于并发写入基准的需求。", status="open",
                              industry_id=industry.id, city_id=city.id, published_at=utc_now()))
    for i in range(providers):
        org = Organisation(kind="provider", name=f"基准服务商 {i}", credit_code=f"9137010{i:04d}MA0000{i % 10}", city_id=city.id)
        db.session.add(org); db.session.flush()
        db.session.add(User(email=f"p{i}@bench.example", name=f"p{i}", password_hash=pw, org=org, org_role="owner"))
    db.session.commit()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    return match.group(1) if match else ""


def login(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=60).text
    answer = session.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(page)}, timeout=60)
    assert answer.ok and "logout" in answer.text.lower(), f"login of {email} failed"
    return session


def import_file(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["需求标题*", "需求描述*"])
    for i in range(rows):
        sheet.append([f"导入需求 {i}", f"第 {i} 条：装配线视觉检测与预测性维护的改造需求，用于基准测试。"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class Writes:
    """N bookmark / un-bookmark posts spread over the provider sessions."""

    def __init__(self, base: str, sessions: list[requests.Session], demand_ids: list[int]):
        self.base, self.sessions, self.demand_ids = base, sessions, demand_ids
        self.tokens = [csrf(s.get(f"{base}/opportunities/", timeout=60).text) for s in sessions]

    def one(self, n: int) -> tuple[bool, float, str]:
        k = n % len(self.sessions)
        action = "bookmark" if (n // len(self.sessions)) % 2 == 0 else "unbookmark"
        url = f"{self.base}/opportunities/{self.demand_ids[n % len(self.demand_ids)]}/{action}"
        start = time.monotonic()
        try:
            answer = self.sessions[k].post(url, data={"csrf_token": self.tokens[k]}, timeout=60, allow_redirects=False)
            ok, why = answer.status_code < 500, str(answer.status_code)
        except requests.RequestException as error:
            ok, why = False, type(error).__name__
        return ok, time.monotonic() - start, why

    def run(self, count: int, threads: int) -> list[tuple[bool, float, str]]:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.one, range(count)))


def summary(results) -> dict:
    times = sorted(t for _, t, _ in results)
    failed = [why for ok, _, why in results if not ok]
    return {"writes": len(results), "failed": len(failed), "why": sorted(set(failed)),
            "p50_ms": 1000 * statistics.median(times), "max_ms": 1000 * times[-1]}


def run_import(base: str, session: requests.Session, list_id: int, data: bytes, done: dict, confirming: threading.Event) -> None:
    start = time.monotonic()
    page = session.get(f"{base}/demands/lists/{list_id}/import", timeout=60).text
    answer = session.post(f"{base}/demands/lists/{list_id}/import", data={"csrf_token": csrf(page)},
                          files={"file": ("bench.xlsx", data)}, timeout=300)
    deadline = time.monotonic() + 600
    while "/progress" in answer.url and time.monotonic() < deadline:  # the checkout checks files in a job
        time.sleep(0.5)
        answer = session.get(answer.url, timeout=60)
    preview_url = answer.url
    done["checked_s"] = time.monotonic() - start
    confirming.set()
    answer = session.post(preview_url, data={"csrf_token": csrf(answer.text), "publish": "y", "action": "import"},
                          timeout=600, allow_redirects=False)
    progress = answer.headers.get("Location", "")
    if "/progress" in progress:
        url = progress if progress.startswith("http") else base + progress
        while time.monotonic() < deadline:
            try:
                state = session.get(url + "?format=json", timeout=120).json()
            except requests.RequestException:  # a web worker busy beyond the timeout: ask again
                continue
            if state["status"] not in ("running", "checking", "importing"):
                done["status"] = state["status"]
                break
            time.sleep(0.2)
    else:
        done["status"] = "done" if answer.status_code in (302, 303) else f"HTTP {answer.status_code}"
    done["import_s"] = time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=150)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--providers", type=int, default=16)
    parser.add_argument("--matching", action="store_true")
    # gunicorn.conf.py refuses two workers counting login tries in their own memory.
    parser.add_argument("--limits", default="redis://127.0.0.1:6379/14", help="RATELIMIT_STORAGE_URI")
    args = parser.parse_args()

    repo = Path(args.repo).resolve()
    instance = Path(tempfile.mkdtemp(prefix="sqlite-writes-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, INSTANCE_PATH=str(instance), FLASK_APP="wsgi.py", SECRET_KEY="benchmark",
               MATCHING_ENABLED="1" if args.matching else "0", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               RATELIMIT_STORAGE_URI=args.limits, LOGIN_LIMIT_PER_ADDRESS="10000 per minute",
               LOGIN_LIMIT_PER_ACCOUNT="10000 per minute")
    env.pop("DATABASE_URL", None)
    env.pop("JOBS_REDIS_URL", None)
    flask = [args.python, "-m", "flask"]
    processes = []
    try:
        subprocess.run(flask + ["db", "upgrade"], cwd=repo, env=env, check=True, capture_output=True)
        subprocess.run([args.python, "-c", SETUP, "150", str(args.providers), PASSWORD], cwd=repo, env=env, check=True)
        log = open(instance / "server.log", "wb")
        config = ["-c", "gunicorn.conf.py"] if (repo / "gunicorn.conf.py").exists() else []
        processes.append(subprocess.Popen([args.python, "-m", "gunicorn", *config, "--workers", "2", "--timeout", "120",
                                           "--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=repo, env=env, stdout=log, stderr=log))
        has_worker = (repo / "marketplace" / "jobs" / "cli.py").exists()
        if has_worker:
            processes.append(subprocess.Popen(flask + ["jobs", "worker", "--quiet"], cwd=repo, env=env, stdout=log, stderr=log))
        for _ in range(600):  # ready: /healthz where the checkout has it (the model is loaded), else any answer
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code in (200, 404):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.5)
        maker = login(base, "maker@bench.example")
        providers = [login(base, f"p{i}@bench.example") for i in range(args.providers)]
        import sqlite3

        with sqlite3.connect(instance / "marketplace.sqlite3") as db:
            demand_ids = [row[0] for row in db.execute("select id from demand order by id")]
            list_id = db.execute("select id from demand_list").fetchone()[0]
        writes = Writes(base, providers, demand_ids)
        baseline = summary(writes.run(args.writes, args.threads))

        data, done, confirming = import_file(args.rows), {}, threading.Event()
        importer = threading.Thread(target=run_import, args=(base, maker, list_id, data, done, confirming))
        importer.start()
        confirming.wait(600)  # the writes start as the import is confirmed, so they overlap its transaction
        loaded = summary(writes.run(args.writes, args.threads))
        importer.join(900)
        with sqlite3.connect(instance / "marketplace.sqlite3") as db:
            imported = db.execute("select count(*) from demand where list_id = ?", (list_id,)).fetchone()[0]
        print(f"checkout: {repo} (git {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=repo, capture_output=True, text=True).stdout.strip()})"
              f"; gunicorn --workers 2{' + flask jobs worker' if has_worker else ''}; matcher {'on' if args.matching else 'off'}")
        print(f"baseline (no import):  {baseline['writes']} writes, {baseline['failed']} failed, "
              f"p50 {baseline['p50_ms']:.0f} ms, max {baseline['max_ms']:.0f} ms")
        print(f"during a {args.rows}-row import: {loaded['writes']} writes, {loaded['failed']} failed {loaded['why'] or ''}, "
              f"p50 {loaded['p50_ms']:.0f} ms, max {loaded['max_ms']:.0f} ms "
              f"(p50 ratio to baseline {loaded['p50_ms'] / baseline['p50_ms']:.1f}×)")
        print(f"import: {done.get('status')}, {imported} demands committed, checked after {done.get('checked_s', 0):.1f} s, "
              f"committed after {done.get('import_s', 0):.1f} s")
        errors = (instance / "server.log").read_text(errors="replace").count("database is locked")
        print(f"'database is locked' in the server and worker logs: {errors}")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
