"""Demand-list imports on the job queue: upload → check job → preview → import job.

The request only stores the upload (a DemandImport row) and enqueues the check; the check job
parses the file and stores the preview; confirming enqueues the import job, which creates every
valid row in one transaction (all or nothing) and clears the preview in that same commit, so a
killed or failed import leaves the preview to retry from. What the progress page says comes
from the DemandImport row and its JobRun (queued, running, done, failed: see marketplace/jobs).
"""
from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import get_locale

from marketplace.demands.import_models import DemandImport
from marketplace.demands.importer import Preview, RowError
from marketplace.extensions import db
from marketplace.jobs import enqueue, queue

TOKEN_BYTES = 16


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def preview_to_json(preview: Preview) -> dict:
    return {
        "filename": preview.filename, "total": preview.total, "notes": list(preview.notes),
        "rows": [{k: _plain(v) for k, v in row.items()} for row in preview.rows],
        "errors": [asdict(e) for e in preview.errors],
    }


def preview_from_json(payload: dict) -> Preview:
    rows = []
    for row in payload["rows"]:
        row = dict(row)
        for key in ("budget_min", "budget_max"):
            row[key] = Decimal(row[key]) if row.get(key) is not None else None
        row["deadline"] = date.fromisoformat(row["deadline"]) if row.get("deadline") else None
        rows.append(row)
    return Preview(filename=payload["filename"], total=payload["total"], rows=rows,
                   errors=[RowError(**e) for e in payload["errors"]], notes=payload.get("notes", []))


def find(token: str, user_id: int, list_id: int) -> DemandImport | None:
    """The user's own import into this list; anyone else's token finds nothing."""
    if not token or len(token) > 40:
        return None
    return db.session.scalar(sa.select(DemandImport).where(
        DemandImport.token == token, DemandImport.user_id == user_id, DemandImport.list_id == list_id))


def start_check(user, demand_list, filename: str, data: bytes) -> DemandImport:
    """Store the upload and enqueue its check (flush only; the view commits)."""
    imp = DemandImport(token=secrets.token_urlsafe(TOKEN_BYTES), list_id=demand_list.id, user_id=user.id,
                       filename=(filename or "")[:255], status="checking", upload=data, locale=str(get_locale() or ""))
    db.session.add(imp)
    db.session.flush()
    imp.check_run = enqueue("demands.check_import", started_by=user.id, import_id=imp.id)
    return imp


def start_import(imp: DemandImport, publish: bool) -> bool:
    """ready → importing, once (a second click or a replayed request finds it taken)."""
    taken = db.session.execute(
        sa.update(DemandImport).where(DemandImport.id == imp.id, DemandImport.status == "ready")
        .values(status="importing", publish=publish)
    ).rowcount == 1
    if taken:
        db.session.refresh(imp)
        imp.import_run = enqueue("demands.run_import", started_by=imp.user_id, import_id=imp.id)
    return taken


def state(imp: DemandImport) -> str:
    """What the user is told: checking / importing (in progress), refused, ready, done, or failed."""
    run = imp.import_run if imp.status == "importing" else imp.check_run if imp.status == "checking" else None
    if run is not None and run.status == "failed":
        return "failed"
    return imp.status


def retry(imp: DemandImport) -> bool:
    """A failed check or import goes back on the queue (the upload or preview is still there)."""
    run = imp.import_run if imp.status == "importing" else imp.check_run if imp.status == "checking" else None
    if run is None or run.status != "failed":
        return False
    queue.retry(run)
    return True


def discard(imp: DemandImport) -> None:
    db.session.delete(imp)
