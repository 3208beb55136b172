"""Writes lost or misreported while PostgreSQL connections are being killed (issue 9 item 7).

    .venv/bin/python benchmarks/connection_kills.py                         # this checkout
    .venv/bin/python benchmarks/connection_kills.py --src /path/to/other/checkout

Serves SRC with `gunicorn --workers 2` on a fresh PostgreSQL database (TEST_POSTGRES_URL, default the local
`test` server), logs a manufacturer in from CLIENTS threads that each create REQUESTS demands with unique
titles, while another thread terminates every backend of that database every --every ms. Then compares
each answer with the database:
  saved, reported saved            fine
  not saved, reported failed       fine (the user is told to try again)
  saved, reported failed           misreported: the user retries and makes a duplicate, or thinks it lost
  not saved, reported saved        lost
  reported unconfirmed             the server could not tell whether COMMIT landed, and said so
Bounded: CLIENTS x REQUESTS requests (default 4 x 60); the server and database are removed at the end.
KILLS_LOG=path keeps gunicorn's log (the tracebacks of failed requests).
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SETUP = """
from marketplace import create_app
from marketplace.extensions import db
from marketplace.auth.models import User
from marketplace.auth.passwords import hash_password
from marketplace.orgs.models import Organisation
from marketplace.taxonomy.services import load_taxonomy_files
app = create_app()
with app.app_context():
    db.create_all()
    load_taxonomy_files(db.session)
    org = Organisation(kind="manufacturer", name="潍坊示例铸造")
    db.session.add(org)
    db.session.flush()
    db.session.add(User(email="firm@example.com", name="x", password_hash=hash_password("right-password-2026"),
                        org=org, org_role="owner"))
    db.session.commit()
"""
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
NONCE = re.compile(r'name="nonce" type="hidden" value="([^"]*)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_url(opener, url, data=None) -> tuple[int, str]:
    try:
        response = opener.open(url, data=urllib.parse.urlencode(data, doseq=True).encode() if data else None, timeout=60)
        return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError:
        return 0, ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def client(base: str, n_requests: int, tag: str, answers: dict, terms: dict, ready: threading.Barrier) -> None:
    jar = http.cookiejar.CookieJar()
    follow = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    direct = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    for _ in range(5):
        status, html = open_url(follow, base + "/login")
        if status == 200 and open_url(direct, base + "/login", {"email": "firm@example.com", "password": "right-password-2026",
                                                              "csrf_token": TOKEN.search(html).group(1)})[0] == 302:
            break
    ready.wait()  # every client is logged in before the kills start
    for i in range(n_requests):
        title = f"{tag}-{i}"
        status, html = open_url(follow, base + "/demands/new")
        if status != 200 or 'name="title"' not in html:
            answers[title] = ("form", status)
            continue
        nonce = NONCE.search(html)
        data = {"csrf_token": TOKEN.search(html).group(1), "nonce": nonce.group(1) if nonce else "", "title": title,
                "description": "用于连接中断测试的需求描述，长度足够。", "industry_id": terms["industry"], "city_id": terms["city"], "chain_id": 0,
                "stage_id": 0, "budget_min": "", "budget_max": "", "deadline": "", "visibility": "public",
                "pool_id": 0, "list_id": 0}
        status, body = open_url(direct, base + "/demands/new", data)
        answers[title] = ("unconfirmed" if "无法确认" in body else "post", status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", default=str(ROOT))
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--every", type=int, default=250, help="ms between kills")
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"kills_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        with tempfile.TemporaryDirectory() as instance:
            env = dict(os.environ, INSTANCE_PATH=instance, MATCHING_ENABLED="0", DATABASE_URL=url, SECRET_KEY="bench",
                       RATELIMIT_STORAGE_URI="memory://")
            subprocess.run([PYTHON, "-c", SETUP], cwd=args.src, env=env, check=True)
            engine = sa.create_engine(url)
            with engine.connect() as c:
                terms = {kind: c.execute(sa.text("SELECT min(id) FROM taxonomy_term WHERE kind = :k"), {"k": kind}).scalar()
                         for kind in ("industry", "city")}
            engine.dispose()
            port = free_port()
            gunicorn = str(Path(PYTHON).with_name("gunicorn"))
            # One worker per process group is enough to show the effect; two as `make serve` runs it. The login
            # limit store does not matter here (one login per client), so memory:// with --workers 1 ×2 ports
            # would differ; gunicorn.conf.py is bypassed with -c /dev/null to allow memory:// in this benchmark.
            server = subprocess.Popen([gunicorn, "-c", "/dev/null", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                      cwd=args.src, env=env, stdout=subprocess.DEVNULL, stderr=open(os.environ.get("KILLS_LOG", os.devnull), "w"))
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            answers: dict = {}
            stop = threading.Event()
            kills = Counter()

            def killer():
                with admin.connect() as c:
                    while not stop.wait(args.every / 1000):
                        kills["backends"] += c.execute(sa.text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": name}).scalar()

            ready = threading.Barrier(args.clients + 1)
            threads = [threading.Thread(target=client, args=(base, args.requests, f"t{n}", answers, terms, ready))
                       for n in range(args.clients)]
            for thread in threads:
                thread.start()
            ready.wait(timeout=120)
            kill_thread = threading.Thread(target=killer)
            kill_thread.start()
            for thread in threads:
                thread.join(timeout=600)
            stop.set()
            kill_thread.join()
            engine = sa.create_engine(url)
            with engine.connect() as c:
                saved = Counter(c.execute(sa.text("SELECT title FROM demand")).scalars())
            engine.dispose()
            outcome = Counter()
            for title, (step, status) in answers.items():
                if step == "form":
                    outcome["form page failed (nothing sent)"] += 1
                    continue
                if step == "unconfirmed":  # 503 saying it could not be confirmed whether it was saved
                    outcome[f"reported unconfirmed ({'saved' if saved[title] else 'not saved'})"] += 1
                    continue
                ok = status == 302
                outcome[{(True, True): "saved, reported saved", (False, False): "not saved, reported failed",
                         (True, False): f"MISREPORTED: saved, reported failed (HTTP {status})",
                         (False, True): "LOST: not saved, reported saved"}[(saved[title] > 0, ok)]] += 1
            duplicates = sum(n - 1 for n in saved.values() if n > 1)
            print(f"src={args.src}: {len(answers)} creates, {kills['backends']} backends killed")
            for key in sorted(outcome):
                print(f"  {key}: {outcome[key]}")
            print(f"  duplicate rows: {duplicates}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
