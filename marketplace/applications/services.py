"""Applying to a pool, withdrawing, and who may fetch an attachment. Flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from marketplace import files
from marketplace.applications.files import send_attachment  # noqa: F401  (used by the bureau's review pages)
from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.navigation import status_label
from marketplace.notifications.services import notify_org
from marketplace.offerings.models import Offering
from marketplace.pools import access as pool_access
from marketplace.pools.models import LIVE_APPLICATION_STATUSES, Attachment, Pool, PoolApplication
from marketplace.pools.services import accepting_applications

WITHDRAWABLE = ("submitted",)


class ApplicationError(Exception):
    def __init__(self, message, status: int = 409):
        super().__init__(str(message))
        self.message = message
        self.status = status


def live_application(pool: Pool, org) -> PoolApplication | None:
    return db.session.scalar(sa.select(PoolApplication).where(
        PoolApplication.pool_id == pool.id, PoolApplication.provider_org_id == org.id,
        PoolApplication.status.in_(LIVE_APPLICATION_STATUSES)))


def published_offerings(org) -> list[Offering]:
    return list(db.session.scalars(sa.select(Offering).where(
        Offering.org_id == org.id, Offering.status == "published").order_by(Offering.title)))


def _review_link(application: PoolApplication) -> str:
    if "pools.review" in current_app.view_functions:
        return url_for("pools.review", application_id=application.id)
    return ""


def apply(pool: Pool, org, user, offerings: list[Offering], statement: str, uploads: list[files.Upload]) -> PoolApplication:
    """Submit an application with its offerings and PDF attachments (stored in the database)."""
    if not accepting_applications(pool):
        raise ApplicationError(_l("This pool is not accepting applications at the moment."))
    if live_application(pool, org) is not None:
        raise ApplicationError(_l("Your organisation has already applied to this pool."))
    if not offerings or any(o.org_id != org.id or not o.is_published for o in offerings):
        raise ApplicationError(_l("Choose at least one of your published offerings."), status=400)
    application = PoolApplication(pool_id=pool.id, provider_org_id=org.id, statement=statement.strip(),
                                  status="submitted", submitted_at=utc_now())
    application.offerings = offerings
    db.session.add(application)
    db.session.flush()  # a duplicate live application is refused here (IntegrityError), before any file is stored
    for upload in uploads:
        application.attachments.append(Attachment(original_name=upload.name, file=files.store(upload, owner=user)))
    db.session.flush()
    record("application.submitted", application, actor=user, pool_id=pool.id,
           offerings=[o.id for o in offerings], attachments=[a.original_name for a in application.attachments])
    notify_org(pool.bureau, "application.received", _review_link(application), provider=org.name, pool=pool.name)
    return application


def withdraw(application: PoolApplication, user, version) -> None:
    if str(version or "") != str(application.version):
        raise ApplicationError(_l("This application changed while you were looking at it (now: %(status)s). "
                                  "Nothing was withdrawn; check its current state below.", status=status_label(application.status)))
    if application.status not in WITHDRAWABLE:
        raise ApplicationError(_l("An application can be withdrawn only before its review starts (now: %(status)s).",
                                  status=status_label(application.status)))
    application.status = "withdrawn"
    application.decided_at = utc_now()
    db.session.flush()
    record("application.withdrawn", application, actor=user, pool_id=application.pool_id)
    notify_org(application.pool.bureau, "application.withdrawn", _review_link(application),
               provider=application.provider.name, pool=application.pool.name)


def can_download(user, attachment: Attachment) -> bool:
    """The applicant's members and the officers of the bureau that reviews the pool (and the admin)."""
    if not (user and user.is_authenticated):
        return False
    application = attachment.application
    return user.org_id == application.provider_org_id or pool_access.can_manage(user, application.pool)
