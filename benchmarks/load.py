"""Load benchmark: every page at volume, beside a trivial route served the same way in the same run.

    .venv/bin/python benchmarks/load.py --offerings 10000 --demands 10000
    .venv/bin/python benchmarks/load.py --offerings 10000 --demands 10000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/test   # a fresh database is created and dropped

    .venv/bin/python benchmarks/load.py --offerings 100000 --demands 100000 --keep /tmp/k100pg \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/test   # kept: the next run with --keep reuses it

1. Generates data by bulk inserts into the app's tables (mixed Chinese/English rows, orgs, a pool, a chain list,
   bids; ~100k rows in well under a minute), and prints rows/s.
   Vectors are synthetic (random unit vectors with the right text hashes) and, unless --compute-matches,
   so are the stored matches (20 random offerings per demand): the output says which. Real encoding of
   100k texts would take hours on two shared cores; page speed depends on the rows, not on their values.
2. Builds and saves the match index from the stored vectors (as `flask matching reindex` does).
3. Serves with gunicorn (gunicorn.conf.py, 2 workers) and measures the time from start to ready
   (/healthz 200 for 16 requests in a row, 8 at a time) and the resident memory of each worker.
4. Drives each page with a bounded loopback load (--connections, default 8 and 32; each for --seconds
   or --max-requests, whichever comes first) and prints req/s, p50, p99 and the ratio to the trivial route
   measured at the same concurrency in the same run. The load client is Python asyncio on the same
   machine, so the trivial route's figure is a floor set partly by the client.
"""
from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-2026"

ZH_PROBLEMS = ["铸件表面砂眼气孔人工目检漏检", "空压机能耗高需要监测优化", "设备振动异常希望提前预警", "排产靠经验交期不稳",
               "焊缝缺陷检测效率低", "仓库库存积压周转慢", "化工反应釜温度控制波动", "纺织布面疵点检测"]
EN_PROBLEMS = ["manual visual inspection misses casting defects", "predictive maintenance for CNC spindles",
               "energy monitoring of compressors", "production scheduling with AI", "weld seam defect detection"]
ZH_OFFERS = ["工业视觉缺陷检测系统", "设备预测性维护平台", "能耗监测与优化", "智能排产APS", "AI质检一体机", "仓储智能调度"]
EN_OFFERS = ["Industrial vision inspection", "Predictive maintenance suite", "Energy optimisation platform",
             "AI scheduling engine", "Edge AI quality control"]


# ---------------------------------------------------------------- data

def generate(url: str, instance: Path, n_offerings: int, n_demands: int, compute_matches: bool, rng: random.Random) -> dict:
    os.environ["INSTANCE_PATH"] = str(instance)
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MATCHING_ENABLED": False, "SECRET_KEY": "bench",
                      "MATCHING_INDEX_DIR": str(instance / "matching")})
    with app.app_context():
        started = time.perf_counter()
        db.create_all()
        from marketplace.taxonomy.services import load_taxonomy_files

        load_taxonomy_files(db.session)
        db.session.commit()
        ids = _rows(db, n_offerings, n_demands, rng)
        print(f"data: {n_offerings} offerings, {n_demands} demands in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        _synthetic_vectors(db, rng)
        app.config["MATCHING_ENABLED"] = True
        from marketplace.matches import store
        from marketplace.matches.engine import get_engine

        engine = get_engine()
        engine.rebuild(save=True)
        print(f"vectors: synthetic (random unit vectors, dim {engine.encoder.dim}); index built and saved "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        if compute_matches:
            written = store.refresh_all(engine)
            print(f"matches: computed by the matcher ({written} rows) in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            written = _synthetic_matches(db, engine, rng)
            print(f"matches: synthetic (20 random offerings per demand, {written} rows) "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)
        store.analyze()  # planner statistics, as the periodic matches.analyze job keeps them
        db.session.remove()
        db.engine.dispose()
    return ids


BATCH = 5000  # rows per executemany (SQLAlchemy sends them as multi-row INSERTs)


def _insert(db, table, rows: list[dict], ids: bool = False) -> list[int]:
    """Bulk Core insert (no ORM objects: ~30x faster at 100k); with ids, the new ids in the order of rows."""
    import sqlalchemy as sa

    _insert.rows += len(rows)
    out: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        if ids:
            out += db.session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk).all()
        else:
            db.session.execute(sa.insert(table), chunk)
    return out


_insert.rows = 0  # rows inserted so far, for the rows/s figure


def _rows(db, n_offerings: int, n_demands: int, rng: random.Random) -> dict:
    import sqlalchemy as sa

    from marketplace.auth.models import User
    from marketplace.auth.passwords import hash_password
    from marketplace.bids.models import Bid
    from marketplace.db import utc_now
    from marketplace.demands.models import Demand, DemandList, demand_scenario
    from marketplace.offerings.models import Offering, offering_industry, offering_scenario
    from marketplace.orgs.credit_code import complete
    from marketplace.orgs.models import Organisation
    from marketplace.pools.models import Pool, PoolApplication
    from marketplace.taxonomy.models import TaxonomyTerm
    from datetime import date, timedelta
    from decimal import Decimal

    terms: dict[str, list[int]] = {}
    for kind, term_id in db.session.execute(sa.select(TaxonomyTerm.kind, TaxonomyTerm.id).order_by(TaxonomyTerm.id)):
        terms.setdefault(kind, []).append(term_id)
    weifang = db.session.scalar(sa.select(TaxonomyTerm.id).where(TaxonomyTerm.kind == "city", TaxonomyTerm.code == "weifang"))
    counter = iter(range(1, 10**8))
    started, inserted_before = time.perf_counter(), _insert.rows

    def orgs(kind: str, names: list[str]) -> list[int]:
        return _insert(db, Organisation.__table__, [
            {"kind": kind, "name": name, "city_id": rng.choice(terms["city"]),
             "credit_code": complete(f"91370700MA{next(counter):07d}")} for name in names], ids=True)

    bureau_id = _insert(db, Organisation.__table__, [{"kind": "bureau", "name": "潍坊市工业和信息化局（基准）", "city_id": weifang}],
                        ids=True)[0]
    provider_ids = orgs("provider", [f"基准服务商{i} Bench AI {i}" for i in range(max(2, n_offerings // 4))])
    firm_ids = orgs("manufacturer", [f"基准制造企业{i}" for i in range(max(2, n_demands // 4))])
    password = hash_password(PASSWORD)
    _insert(db, User.__table__, [{"email": f"{who}@bench.example", "name": who, "password_hash": password, "org_id": org_id,
                                  "org_role": "owner"}
                                 for who, org_id in (("officer", bureau_id), ("owner", firm_ids[0]), ("seller", provider_ids[0]))])
    pool_id = _insert(db, Pool.__table__, [{
        "bureau_org_id": bureau_id, "name": "潍坊AI服务商资源池（基准）", "city_id": weifang, "status": "open",
        "opens_on": date.today() - timedelta(days=30), "closes_on": date.today() + timedelta(days=30), "quota": 100}], ids=True)[0]
    list_id = _insert(db, DemandList.__table__, [{
        "title": "潍坊动力装备产业链需求清单（基准）", "publisher_org_id": bureau_id, "status": "published", "city_id": weifang,
        "published_at": utc_now()}], ids=True)[0]
    _insert(db, PoolApplication.__table__, [{"pool_id": pool_id, "provider_org_id": p, "status": "admitted", "statement": "基准"}
                                            for p in provider_ids[:50]])
    db.session.commit()

    now = utc_now()
    offerings = []
    for i in range(n_offerings):
        zh = rng.random() < 0.7
        offerings.append({
            "org_id": provider_ids[0] if i < 5 else rng.choice(provider_ids),
            "title": f"{rng.choice(ZH_OFFERS if zh else EN_OFFERS)} {i}",
            "summary": rng.choice(ZH_PROBLEMS if zh else EN_PROBLEMS),
            "description": " ".join(rng.sample(ZH_PROBLEMS + EN_PROBLEMS, 3)),
            "price_min": Decimal(rng.randint(5, 50)), "price_max": Decimal(rng.randint(60, 300)),
            "status": "published", "published_at": now - timedelta(days=rng.randint(0, 365))})
    offering_ids = _insert(db, Offering.__table__, offerings, ids=True)
    for link, kind in ((offering_scenario, "scenario"), (offering_industry, "industry")):
        _insert(db, link, [{"offering_id": o, "term_id": t} for o in offering_ids for t in rng.sample(terms[kind], 2)])
    db.session.commit()
    demands = []
    for i in range(n_demands):
        zh = rng.random() < 0.8
        demands.append({
            "org_id": firm_ids[0] if i < 20 else rng.choice(firm_ids),
            "title": f"{rng.choice(ZH_PROBLEMS if zh else EN_PROBLEMS)} {i}",
            "description": " ".join(rng.sample(ZH_PROBLEMS + EN_PROBLEMS, 3)),
            "industry_id": rng.choice(terms["industry"]), "chain_id": rng.choice(terms["chain"]),
            "city_id": weifang if rng.random() < 0.3 else rng.choice(terms["city"]),
            "budget_min": Decimal(rng.randint(5, 50)), "budget_max": Decimal(rng.randint(60, 300)),
            "deadline": date.today() + timedelta(days=rng.randint(10, 200)), "status": "open",
            "published_at": now - timedelta(days=rng.randint(0, 365)), "list_id": list_id if i < 300 else None})
    demand_ids = _insert(db, Demand.__table__, demands, ids=True)
    _insert(db, demand_scenario, [{"demand_id": d, "term_id": rng.choice(terms["scenario"])} for d in demand_ids])
    bids = [{"demand_id": d, "provider_org_id": rng.choice(provider_ids), "price": Decimal("30"), "duration_days": 90,
             "approach": "基准方案", "status": "submitted"} for d in rng.sample(demand_ids, len(demand_ids) // 10)]
    _insert(db, Bid.__table__, bids)
    db.session.commit()
    made, elapsed = _insert.rows - inserted_before, time.perf_counter() - started
    print(f"rows: {made} (organisations, offerings, demands, their term links, bids) by bulk insert "
          f"in {elapsed:.0f} s, {made / elapsed:.0f} rows/s", flush=True)
    return {"demand": demand_ids[0], "offering": offering_ids[0], "list": list_id}


def _synthetic_vectors(db, rng: random.Random) -> None:
    import numpy as np
    import sqlalchemy as sa

    from marketplace.demands.models import Demand
    from marketplace.matches.documents import documents, load_demands, load_offerings
    from marketplace.matches.models import Embedding
    from marketplace.matching.embeddings import DEFAULT_MODEL_NAME, text_hash
    from marketplace.offerings.models import Offering

    gen = np.random.default_rng(rng.randint(0, 2**31))
    for model, loader in ((Demand, load_demands), (Offering, load_offerings)):
        ids = list(db.session.scalars(sa.select(model.id).order_by(model.id)))
        for start in range(0, len(ids), 2000):
            docs = documents(loader(model.id.in_(ids[start:start + 2000])))
            vectors = gen.standard_normal((len(docs), 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            db.session.execute(sa.insert(Embedding), [
                {"object_type": d.kind, "object_id": d.id, "model_name": DEFAULT_MODEL_NAME, "text_hash": text_hash(d.full_text()),
                 "dim": 384, "vector": v.tobytes()} for d, v in zip(docs, vectors)])
            db.session.commit()
            db.session.expunge_all()


def _synthetic_matches(db, engine, rng: random.Random) -> int:
    import sqlalchemy as sa

    from marketplace.db import utc_now
    from marketplace.demands.models import Demand
    from marketplace.matches.models import Match, MatchState
    from marketplace.matches.store import matcher_version
    from marketplace.offerings.models import Offering

    offerings = db.session.execute(sa.select(Offering.id, Offering.org_id)).all()
    demand_ids = list(db.session.scalars(sa.select(Demand.id)))
    now, written, rows = utc_now(), 0, []
    reason = [{"code": "scenario", "zh": "场景匹配：在线智能检测", "en": "Scenario match: online inspection"}]
    for demand_id in demand_ids:
        for offering_id, org_id in rng.sample(offerings, min(20, len(offerings))):
            rows.append({"demand_id": demand_id, "offering_id": offering_id, "provider_org_id": org_id,
                         "score": round(rng.uniform(0.1, 0.9), 4), "signals": {"lexical": 0.5}, "reasons": reason,
                         "model_name": engine.encoder.name, "matcher_version": matcher_version(), "computed_at": now})
        if len(rows) >= 10000:
            db.session.execute(sa.insert(Match), rows)
            db.session.commit()
            written, rows = written + len(rows), []
    if rows:
        db.session.execute(sa.insert(Match), rows)
        written += len(rows)
    states = [{"object_type": "demand", "object_id": i, "model_name": engine.encoder.name,
               "matcher_version": matcher_version(), "computed_at": now} for i in demand_ids]
    states += [{"object_type": "offering", "object_id": i, "model_name": engine.encoder.name,
                "matcher_version": matcher_version(), "computed_at": now} for i, _ in offerings]
    for start in range(0, len(states), 10000):
        db.session.execute(sa.insert(MatchState), states[start:start + 10000])
    db.session.commit()
    return written


# ---------------------------------------------------------------- serving

def bench_pages(ids: dict) -> list[tuple[str, str, str]]:
    """(label, path, who) of every page the issue measures, beside the trivial route (benchmarks/pages.py too)."""
    return [
        ("trivial route", "/_bench/trivial", ""),
        ("home", "/", ""),
        ("browse demands", "/demands/", ""),
        ("browse demands, keyword", "/demands/?q=%E6%A3%80%E6%B5%8B", ""),
        ("browse demands, filter", "/demands/?city=weifang&scenario=online_inspection", ""),
        ("providers", "/providers/", ""),
        ("demand with ranked providers", f"/demands/{ids['demand']}", "owner"),
        ("an offering's page", f"/offerings/{ids['offering']}", "seller"),
        ("provider's opportunities", "/opportunities/", "seller"),
        ("my demands (match counts)", "/demands/mine", "owner"),
        ("bureau dashboard", "/dashboard/", "officer"),
        ("chain-list coverage", f"/chain-lists/{ids['list']}", "officer"),
    ]


def serve(url: str, instance: Path, port: int, workers: int) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=str(instance), SECRET_KEY="bench", MATCHING_ENABLED="1",
               MATCHING_INDEX_DIR=str(instance / "matching"), HOST="127.0.0.1", PORT=str(port), WEB_WORKERS=str(workers),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", LOGIN_LIMIT_PER_ADDRESS="1000 per minute",
               # several workers must share their login counters (gunicorn.conf.py refuses memory://)
               RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0"))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    started = time.perf_counter()
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "benchmarks.load_wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(instance / "gunicorn.log", "w"))
    in_a_row, deadline = 0, time.time() + 600
    while in_a_row < 16:
        if time.time() > deadline or proc.poll() is not None:
            proc.terminate()  # not left serving (and holding the port) after this script ends
            proc.wait()
            raise SystemExit(f"server did not become ready; see {instance / 'gunicorn.log'}")
        codes = asyncio.run(_burst(port, "/healthz", 8))
        in_a_row = in_a_row + len(codes) if all(c == 200 for c in codes) else 0
        if in_a_row < 16:
            time.sleep(0.2)
    return proc, time.perf_counter() - started


async def _burst(port: int, path: str, n: int) -> list[int]:
    results = await asyncio.gather(*(_get(port, _request(path, "")) for _ in range(n)), return_exceptions=True)
    return [r[1] if isinstance(r, tuple) else 0 for r in results]


def worker_rss(proc: subprocess.Popen) -> str:
    """Resident and proportional memory (MiB) of the master and each worker. PSS divides pages the
    workers share (the model and index the master preloaded) among them, so it adds up to the total."""
    import psutil

    def mib(p) -> str:
        info = p.memory_full_info()
        return f"{info.rss / 2**20:.0f}/{info.pss / 2**20:.0f}"

    master = psutil.Process(proc.pid)
    return f"master {mib(master)}, workers " + ", ".join(mib(c) for c in master.children()) + " (RSS/PSS MiB)"


def login(port: int, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    html = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(f"{base}/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


# ---------------------------------------------------------------- load

def _request(path: str, cookie: str) -> bytes:
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAccept-Language: zh-CN\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    return (head + "\r\n").encode()


async def _get(port: int, request: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()
    writer.close()
    return time.perf_counter() - started, int(data[9:12] or 0)


async def drive(port: int, path: str, cookie: str, connections: int, seconds: float, max_requests: int) -> dict:
    request = _request(path, cookie)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline and len(latencies) + errors < max_requests:
            try:
                latency, status = await _get(port, request)
            except OSError:
                errors += 1
                continue
            if status == 200:
                latencies.append(latency)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"rps": len(latencies) / elapsed, "p50": pct(0.50), "p99": pct(0.99), "n": len(latencies), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offerings", type=int, default=10000)
    parser.add_argument("--demands", type=int, default=10000)
    parser.add_argument("--database", default="", help="a PostgreSQL server URL (a fresh database is made on it); default SQLite")
    parser.add_argument("--connections", default="8,32")
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and concurrency")
    parser.add_argument("--max-requests", type=int, default=3000, help="per page and concurrency")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5391)
    parser.add_argument("--compute-matches", action="store_true", help="compute stored matches with the matcher (slow)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", default="", help="keep the instance folder (and the PostgreSQL database) and reuse them "
                                                   "next time instead of generating the data again")
    parser.add_argument("--pages", default="", help="only the pages whose label contains one of these comma-separated words")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    instance = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mkt-load-"))
    instance.mkdir(parents=True, exist_ok=True)
    saved = instance / "ids.json"
    kept = json.loads(saved.read_text()) if args.keep and saved.exists() else None
    admin_url, database = None, ""
    if args.database:
        import sqlalchemy as sa

        admin_url = args.database
        db_name = kept["database"] if kept else f"mkt_load_{uuid.uuid4().hex[:8]}"
        if not kept:
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
        database = sa.engine.make_url(admin_url).set(database=db_name).render_as_string(hide_password=False)
        label = "PostgreSQL"
    else:
        database = f"sqlite:///{instance / 'load.sqlite3'}"
        label = "SQLite"
    proc = None
    try:
        if kept:
            ids = kept
            print(f"data: reused from {instance}" + (f" and database {db_name}" if args.database else ""), flush=True)
        else:
            ids = generate(database, instance, args.offerings, args.demands, args.compute_matches, rng)
            saved.write_text(json.dumps({**ids, "database": db_name if args.database else "", "url": database}))
        proc, ready = serve(database, instance, args.port, args.workers)
        rss = worker_rss(proc)
        print(f"{label}, gunicorn {args.workers} workers: ready {ready:.1f} s after start; memory: {rss}", flush=True)
        cookies = {who: login(args.port, f"{who}@bench.example") for who in ("owner", "seller", "officer")}
        pages = [page for n, page in enumerate(bench_pages(ids))
                 if n == 0 or not args.pages or any(word in page[0] for word in args.pages.split(","))]
        print(f"\n{'page':32}{'conn':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'n':>7}{'err':>5}")
        for connections in [int(c) for c in args.connections.split(",")]:
            trivial = None
            for name, path, who in pages:
                cookie = cookies.get(who, "")
                asyncio.run(drive(args.port, path, cookie, 2, 0.5, 4))  # warm-up
                r = asyncio.run(drive(args.port, path, cookie, connections, args.seconds, args.max_requests))
                trivial = trivial or r["rps"]
                print(f"{name:32}{connections:>5}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                      f"{r['rps'] / trivial:>8.3f}{r['n']:>7}{r['errors']:>5}", flush=True)
        print(f"\nmemory after the run: {worker_rss(proc)}; load average {os.getloadavg()[0]:.1f}")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # workers still finishing slow requests
                proc.kill()
                proc.wait()
        if admin_url and not args.keep:
            import sqlalchemy as sa

            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))  # not `name`: the page loop reuses it
        if not args.keep:
            shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
