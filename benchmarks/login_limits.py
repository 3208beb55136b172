"""How many login tries the limits let through when served by gunicorn with several workers (issue 9 item 8).

    .venv/bin/python benchmarks/login_limits.py                                   # this checkout, Redis db 3
    .venv/bin/python benchmarks/login_limits.py --src /path/to/other/checkout --storage memory://

Serves SRC with `gunicorn --workers N` on a fresh SQLite database holding two accounts, then prints, with
the configured limits beside them (5 per account, 20 per address):
  sequential: wrong passwords for one account, one after another (how many were checked, not refused);
  address:    wrong passwords for 40 different emails from one address;
  burst:      20 wrong passwords for another account sent at the same moment.
Bounded: at most 100 requests; the server is stopped at the end. With --flush the Redis database named
by --storage is emptied before each run (use a database of your own: the counters of earlier runs would
otherwise still be there).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SETUP = """
from marketplace import create_app
from marketplace.extensions import db
from marketplace.auth.models import User
from marketplace.auth.passwords import hash_password
app = create_app()
with app.app_context():
    db.create_all()
    for email in ("a@example.com", "b@example.com"):
        db.session.add(User(email=email, name="x", password_hash=hash_password("right-password-2026"), org_role="owner"))
    db.session.commit()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def login_form(self) -> str:
        html = self.opener.open(self.base + "/login", timeout=30).read().decode()
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    def try_login(self, email: str, token: str) -> int:
        data = urllib.parse.urlencode({"email": email, "password": "wrong", "csrf_token": token}).encode()
        try:
            return self.opener.open(self.base + "/login", data=data, timeout=60).status
        except urllib.error.HTTPError as error:
            return error.code


def checked(statuses) -> int:
    return sum(1 for s in statuses if s == 200)  # 200: the password was checked (and was wrong); 429: refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", default=str(ROOT), help="checkout to serve")
    parser.add_argument("--storage", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--flush", action="store_true", help="empty the Redis database of --storage before each run")
    args = parser.parse_args()
    src = Path(args.src).resolve()
    with tempfile.TemporaryDirectory() as instance:
        env = dict(os.environ, INSTANCE_PATH=instance, MATCHING_ENABLED="0", RATELIMIT_STORAGE_URI=args.storage,
                   SECRET_KEY="bench")
        subprocess.run([PYTHON, "-c", SETUP], cwd=src, env=env, check=True)
        flush = (lambda: __import__("redis").Redis.from_url(args.storage).flushdb()) if args.flush else (lambda: None)
        flush()
        port = free_port()
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        server = subprocess.Popen([gunicorn, "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=src, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                if server.poll() is not None:
                    print(f"src={src} storage={args.storage} workers={args.workers}: the server refused to start:")
                    print("  " + (server.stderr.read().strip().splitlines() or ["(no output)"])[-1])
                    return
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            browser = Browser(base)
            sequential = [browser.try_login("a@example.com", browser.login_form()) for _ in range(20)]
            address = [browser.try_login(f"nobody{n}@example.com", browser.login_form()) for n in range(40)]
            print(f"src={src} storage={args.storage} workers={args.workers}")
            print(f"  sequential wrong tries for one account: {checked(sequential)} of {len(sequential)} checked (limit 5)")
            print(f"  wrong tries for 40 accounts from one address: {checked(sequential) + checked(address)} of "
                  f"{len(sequential) + len(address)} checked in all from this address (limit 20)")
        finally:
            server.terminate()
            server.wait(timeout=30)
        # The burst, on a fresh server and counters, so the address limit above does not hide it.
        flush()
        server = subprocess.Popen([gunicorn, "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                                  cwd=src, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            browsers = [Browser(base) for _ in range(20)]
            tokens = [b.login_form() for b in browsers]
            barrier, statuses = threading.Barrier(20), []

            def send(b, t):
                barrier.wait()
                statuses.append(b.try_login("b@example.com", t))

            threads = [threading.Thread(target=send, args=pair) for pair in zip(browsers, tokens)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            print(f"  burst of 20 parallel wrong tries for one account: {checked(statuses)} checked (limit 5); "
                  f"answers {sorted(statuses)}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
