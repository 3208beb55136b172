"""Import previews kept between the check and the import, and the import itself.

A preview is stored as JSON in the instance folder under a random token, readable only by
the user who uploaded it. Small imports run inside the request; larger ones run in a
background thread that reports its progress to a small JSON file, which the progress page
reads. Either way the rows are created in one transaction: all valid rows, or nothing; the
matcher stores their vectors when that transaction commits, so they are matchable at once.
"""
from __future__ import annotations

import json
import secrets
import threading
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import current_app

from marketplace.demands.importer import Preview, RowError

TOKEN_BYTES = 16
KEEP_SECONDS = 24 * 3600  # previews and progress files older than this are removed


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: str, suffix: str) -> Path | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        return None
    return _folder() / f"{token}.{suffix}.json"


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _prune() -> None:
    import time

    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().glob("*.json"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def save_preview(preview: Preview, user_id: int, list_id: int) -> str:
    _prune()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    payload = {
        "user_id": user_id, "list_id": list_id, "filename": preview.filename, "total": preview.total,
        "rows": [{k: _plain(v) for k, v in row.items()} for row in preview.rows],
        "errors": [asdict(e) for e in preview.errors],
    }
    _path(token, "preview").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return token


def load_preview(token: str, user_id: int, list_id: int) -> Preview | None:
    path = _path(token, "preview")
    if path is None or not path.exists():
        return None
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload["user_id"] != user_id or payload["list_id"] != list_id:
        return None
    rows = []
    for row in payload["rows"]:
        row = dict(row)
        for key in ("budget_min", "budget_max"):
            row[key] = Decimal(row[key]) if row.get(key) is not None else None
        row["deadline"] = date.fromisoformat(row["deadline"]) if row.get("deadline") else None
        rows.append(row)
    return Preview(filename=payload["filename"], total=payload["total"], rows=rows,
                   errors=[RowError(**e) for e in payload["errors"]])


def discard_preview(token: str) -> None:
    path = _path(token, "preview")
    if path is not None and path.exists():
        path.unlink()


def read_progress(token: str) -> dict | None:
    path = _path(token, "progress")
    if path is None or not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _write_progress(token: str, **state) -> None:
    path = _path(token, "progress")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(path)


def import_rows(token: str, user, demand_list, rows: list[dict], publish: bool) -> int:
    """Create the demands (flush only), writing the progress after every chunk."""
    from marketplace.demands.services import import_demands

    def progress(done: int) -> None:
        stage = "saving" if done == len(rows) else "rows"
        _write_progress(token, status="running", stage=stage, done=done, total=len(rows), list_id=demand_list.id, owner=user.id)

    return import_demands(user, demand_list, rows, publish, on_progress=progress)


def run_in_background(token: str, user_id: int, list_id: int, rows: list[dict], publish: bool) -> None:
    app = current_app._get_current_object()
    _write_progress(token, status="running", done=0, total=len(rows), list_id=list_id, owner=user_id)

    def work() -> None:
        from marketplace.auth.models import User
        from marketplace.demands.models import DemandList
        from marketplace.extensions import db

        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                demand_list = db.session.get(DemandList, list_id)
                created = import_rows(token, user, demand_list, rows, publish)
                db.session.commit()
                _write_progress(token, status="done", done=created, total=len(rows), list_id=list_id, owner=user_id)
            except Exception:  # the whole import is rolled back: nothing half-imported
                db.session.rollback()
                app.logger.exception("demand import %s failed", token)
                _write_progress(token, status="failed", done=0, total=len(rows), list_id=list_id, owner=user_id)
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"import-{token[:8]}", daemon=True).start()


def mark_done(token: str, created: int, list_id: int, owner: int) -> None:
    _write_progress(token, status="done", done=created, total=created, list_id=list_id, owner=owner)

