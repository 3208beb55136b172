"""Jobs of the demands area: checking an uploaded list, and importing it."""
from __future__ import annotations

from flask_babel import force_locale

from marketplace.demands import importer
from marketplace.demands.import_models import DemandImport
from marketplace.extensions import db
from marketplace.jobs import job, periodic

KEEP_SECONDS = 24 * 3600

# A file that kills a worker would kill the next one too: no automatic retries; the
# progress page offers a retry to the user instead.


@job("demands.check_import", retries=0)
def check_import(import_id: int) -> None:
    import sqlalchemy as sa

    from marketplace.auth.models import User
    from marketplace.demands.imports import preview_to_json
    from marketplace.demands.models import Demand

    imp = db.session.get(DemandImport, import_id)
    if imp is None or imp.status != "checking":
        return
    data, filename, locale = imp.upload or b"", imp.filename, imp.locale or "zh_CN"
    org = db.session.get(User, imp.user_id).org
    titles = db.session.scalars(sa.select(Demand.title).where(Demand.list_id == imp.list_id)).all()
    db.session.expunge(org)
    db.session.rollback()  # parse outside any transaction: on SQLite a job's transaction holds the write lock
    with force_locale(locale):
        try:
            preview, message = importer.parse(data, filename, org, titles), None
        except importer.ImportFileError as error:
            preview, message = None, str(error)
    imp = db.session.get(DemandImport, import_id)
    if imp is None or imp.status != "checking":
        return
    if preview is None:
        imp.status, imp.message = "refused", message
    else:
        imp.status, imp.preview = "ready", preview_to_json(preview)
        imp.total, imp.valid = preview.total, len(preview.rows)
    imp.upload = None


@job("demands.run_import", retries=0)
def run_import(import_id: int) -> None:
    from marketplace.auth.models import User
    from marketplace.demands.imports import preview_from_json
    from marketplace.demands.models import DemandList
    from marketplace.demands.services import import_demands

    imp = db.session.get(DemandImport, import_id)
    if imp is None or imp.status != "importing":
        return
    user = db.session.get(User, imp.user_id)
    demand_list = db.session.get(DemandList, imp.list_id)
    rows = preview_from_json(imp.preview).rows
    with force_locale(imp.locale or "zh_CN"):
        created = import_demands(user, demand_list, rows, imp.publish)
    # Committed together with the demands (by the job runner): progress counts only saved rows.
    imp.status, imp.imported, imp.preview = "done", created, None


@periodic("demands.prune_imports", minute="17")
def prune_imports() -> None:
    """Uploads and previews nobody confirmed are kept a day (the old preview files were, too)."""
    from datetime import timedelta

    import sqlalchemy as sa

    from marketplace.db import utc_now

    cutoff = utc_now() - timedelta(seconds=KEEP_SECONDS)
    db.session.execute(sa.delete(DemandImport).where(DemandImport.updated_at < cutoff,
                                                     DemandImport.status.in_(("refused", "ready", "done"))))
