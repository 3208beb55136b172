"""One browse search at volume: search by meaning (marketplace/search.py) vs the plain LIKE it replaced.

    .venv/bin/python benchmarks/search.py                  # SQLite file, 10,000 demands and offerings
    .venv/bin/python benchmarks/search.py --postgres       # a fresh database on TEST_POSTGRES_URL
    .venv/bin/python benchmarks/search.py --rows 20000

Builds ROWS open demands and ROWS published offerings (over ROWS/5 providers) with texts made of the
taxonomy's own vocabulary, then times what a browse page runs for a query: the count and the first page
of 20, both for the new search (analyzer tokens, tag match, relevance order) and for the baseline
(`keyword_filter`: LIKE of the whole word on title and description, newest first). Prints the median of
REPEAT runs per query and the ratio new / baseline from the same run.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

QUERIES = ["预测性维护", "智能排产", "视觉检测", "缺陷", "predictive maintenance", "铸件 表面缺陷 在线检测"]


def build(rows: int, seed: int = 7) -> None:
    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.offerings.models import Offering
    from marketplace.orgs.models import Organisation
    from marketplace.taxonomy.models import TaxonomyTerm
    from marketplace.taxonomy.services import load_taxonomy_files

    rng = random.Random(seed)
    load_taxonomy_files(db.session)
    scenarios = list(db.session.scalars(sa.select(TaxonomyTerm).where(TaxonomyTerm.kind == "scenario")))
    city = db.session.scalar(sa.select(TaxonomyTerm).where(TaxonomyTerm.kind == "city"))
    industry = db.session.scalar(sa.select(TaxonomyTerm).where(TaxonomyTerm.kind == "industry"))
    words = {t.id: (t.keywords or t.label_zh).split() for t in scenarios}
    filler = "现场 产线 工人 每天 批次 数据 希望 改善 车间 质量 成本 效率 设备 订单 客户".split()

    def text(term, n):
        vocab = words[term.id]
        return "，".join("".join(rng.sample(vocab, 1) + rng.sample(filler, 2)) for _ in range(n)) + "。"

    firm = Organisation(kind="manufacturer", name="基准企业")
    providers = [Organisation(kind="provider", name=f"服务商{i}", intro=f"服务商{i}的简介") for i in range(max(1, rows // 5))]
    db.session.add_all([firm, *providers])
    db.session.flush()
    for i in range(rows):
        term = rng.choice(scenarios)
        demand = Demand(org_id=firm.id, title=text(term, 1)[:60] + f"{i}", description=text(term, 12), city_id=city.id,
                        industry_id=industry.id, status="open", published_at=sa.func.now())
        offering = Offering(org_id=providers[i % len(providers)].id, title=text(term, 1)[:60], summary=text(term, 2)[:300],
                            description=text(term, 10), status="published")
        if rng.random() < 0.8:  # most are tagged; the rest carry their scenario in the text only
            demand.scenarios = [term]
            offering.scenarios = [term]
        db.session.add_all([demand, offering])
        if i % 1000 == 999:
            db.session.flush()
    db.session.commit()


def timed(fn, repeat: int) -> tuple[float, object]:
    fn()  # warm: caches, query plans
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def run(app, repeat: int) -> None:
    from marketplace.demands.models import Demand
    from marketplace.demands.queries import filtered_demands
    from marketplace.extensions import db
    from marketplace.orgs.models import Organisation
    from marketplace.orgs.queries import filtered_providers
    from marketplace.search import keyword_filter

    def page(query):
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        items = db.session.scalars(query.limit(20)).all()
        db.session.expunge_all()
        return total, [i.id for i in items]

    def demand_baseline(q):
        base = sa.select(Demand).where(Demand.status == "open", keyword_filter(q, Demand.title, Demand.description))
        return page(base.order_by(Demand.published_at.desc(), Demand.id.desc()))

    def provider_baseline(q):
        base = sa.select(Organisation).where(Organisation.kind == "provider",
                                             keyword_filter(q, Organisation.name, Organisation.intro, Organisation.capabilities))
        return page(base.order_by(Organisation.name))

    print(f"{'query':28} {'side':9} {'baseline ms':>11} {'hits':>6} {'search ms':>10} {'hits':>6} {'ratio':>6}")
    ratios = []
    for q in QUERIES:
        for side, new, old in (
            ("demands", lambda: page(filtered_demands(sa.select(Demand).where(Demand.status == "open"), {"q": q})),
             lambda: demand_baseline(q)),
            ("providers", lambda: page(filtered_providers({"q": q})), lambda: provider_baseline(q)),
        ):
            with app.test_request_context():
                base_ms, (base_total, _) = timed(old, repeat)
            with app.test_request_context():
                new_ms, (new_total, _) = timed(new, repeat)
            ratios.append(new_ms / base_ms)
            print(f"{q:28} {side:9} {base_ms:11.1f} {base_total:6d} {new_ms:10.1f} {new_total:6d} {new_ms / base_ms:6.1f}")
    print(f"median ratio search / baseline: {statistics.median(ratios):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    from marketplace import create_app
    from marketplace.extensions import db

    tmp = tempfile.mkdtemp(prefix="search-bench-")
    admin = None
    if args.postgres:
        url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        name = f"search_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        db_url = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    else:
        db_url = f"sqlite:///{tmp}/bench.db"
    os.environ["INSTANCE_PATH"] = tmp
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "MATCHING_ENABLED": False,
                      "MATCHING_INDEX_DIR": f"{tmp}/matching", "UPLOAD_FOLDER": f"{tmp}/uploads"})
    try:
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            build(args.rows)
            if db.engine.dialect.name == "postgresql":  # planner statistics, as autovacuum keeps them on a live database
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            print(f"{args.rows} demands, {args.rows} offerings on {db.engine.dialect.name}: built in "
                  f"{time.perf_counter() - start:.0f} s")
            run(app, args.repeat)
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
