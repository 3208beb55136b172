"""公示 and 异议: publishing a batch's notice (kept, never replaced), objections lodged during its period and
the bureau's answers, and 正式入库 once the period has ended without a sustained objection.

Admitted applications listed in a notice are 拟入库 (proposed) until then. A sustained objection takes the
application out of the batch and back to review. Services flush and never commit.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace import files
from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.notifications.services import notify_org
from marketplace.pools.errors import PoolError
from marketplace.pools.links import path_for
from marketplace.pools.models import NoticeEntry, Objection, ObjectionFile, Pool, PoolApplication, PoolNotice
from marketplace.pools.services import check_version


def state(notice: PoolNotice, today: date | None = None) -> str:
    """"upcoming", "running" or "ended"."""
    today = today or date.today()
    if today < notice.starts_on:
        return "upcoming"
    return "ended" if today > notice.ends_on else "running"


def archive_link(pool_id: int) -> str:
    return path_for("pools.notices", pool_id=pool_id)


def objection_link(objection: Objection) -> str:
    return path_for("pools.objection", objection_id=objection.id)


def _provider_link(application: PoolApplication) -> str:
    from marketplace.pools.review import provider_link

    return provider_link(application)


def listed_elsewhere():
    """Applications listed (and not taken out) in a notice that is not settled yet."""
    return (sa.select(NoticeEntry.application_id).join(PoolNotice)
            .where(NoticeEntry.removed_at.is_(None), PoolNotice.finalised_at.is_(None)))


def awaiting_notice(pool: Pool) -> list[PoolApplication]:
    """Admitted, not yet 正式入库, and in no unsettled notice: the next notice lists these."""
    return list(db.session.scalars(
        sa.select(PoolApplication).where(PoolApplication.pool_id == pool.id, PoolApplication.status == "admitted",
                                         PoolApplication.confirmed_at.is_(None), PoolApplication.id.not_in(listed_elsewhere()))
        .order_by(PoolApplication.batch, PoolApplication.id)))


def latest(pool: Pool) -> PoolNotice | None:
    return db.session.scalar(sa.select(PoolNotice).where(PoolNotice.pool_id == pool.id)
                             .order_by(PoolNotice.published_at.desc(), PoolNotice.id.desc()).limit(1))


def publish(pool: Pool, user, data: dict) -> PoolNotice:
    check_version(pool, data.get("version"))
    if pool.status not in ("open", "closed"):
        raise PoolError(_l("Open the call before publishing a notice."), status=409)
    listed = awaiting_notice(pool)
    if not listed:
        raise PoolError(_l("Admit at least one provider before publishing the notice (admitted providers already "
                           "listed in a running notice are not listed again)."))
    if data["notice_ends_on"] < date.today():
        raise PoolError(_l("The notice period must not have ended already."), field="notice_ends_on")
    batch = (data.get("batch") or "").strip() or next((a.batch for a in listed if a.batch), "")
    notice = PoolNotice(pool_id=pool.id, batch=batch, text=data["notice_text"].strip(), starts_on=data["notice_starts_on"],
                        ends_on=data["notice_ends_on"], published_by_id=user.id, is_demo=pool.is_demo,
                        entries=[NoticeEntry(application_id=a.id) for a in listed])
    db.session.add(notice)
    # The pool keeps its latest notice's text and period too (exports and reminders read them).
    pool.notice_text, pool.notice_starts_on, pool.notice_ends_on = notice.text, notice.starts_on, notice.ends_on
    db.session.flush()
    record("pool.notice_published", pool, actor=user, notice_id=notice.id, batch=batch, starts_on=notice.starts_on,
           ends_on=notice.ends_on, applications=[a.id for a in listed])
    for application in listed:
        notify_org(application.provider, "notice.listed", _provider_link(application), pool=pool.name,
                   ends=notice.ends_on.isoformat())
    return notice


# ----------------------------------------------------------------------------- objections

def may_object(user, notice: PoolNotice) -> bool:
    """Any logged-in organisation except the bureau that runs the pool (it answers objections)."""
    return bool(user and user.is_authenticated and user.org_id and user.org_id != notice.pool.bureau_org_id)


def open_entries(notice: PoolNotice) -> list[NoticeEntry]:
    return [e for e in notice.entries if e.removed_at is None]


def lodge(notice: PoolNotice, user, application_id: int, reasons: str, uploads: list) -> Objection:
    if not may_object(user, notice):
        raise PoolError(_l("Objections are lodged by organisations other than the bureau that runs the pool."), status=403)
    if state(notice) != "running":
        raise PoolError(_l("Objections can be lodged only during the notice period (%(start)s – %(end)s).",
                           start=notice.starts_on.isoformat(), end=notice.ends_on.isoformat()), status=409)
    entry = next((e for e in open_entries(notice) if e.application_id == application_id), None)
    if entry is None:
        raise PoolError(_l("Choose a provider listed in this notice."), field="application_id")
    reasons = (reasons or "").strip()
    if not reasons:
        raise PoolError(_l("Please give the reasons for the objection."), field="reasons")
    objection = Objection(notice_id=notice.id, application_id=application_id, org_id=user.org_id, user_id=user.id,
                          reasons=reasons[:10000])
    db.session.add(objection)
    db.session.flush()
    for upload in uploads:
        objection.files.append(ObjectionFile(original_name=upload.name, file=files.store(upload, owner=user)))
    db.session.flush()
    application = entry.application
    record("application.objection_lodged", application, actor=user, objection_id=objection.id, notice_id=notice.id,
           org=user.org.name, files=[f.original_name for f in objection.files])
    notify_org(notice.pool.bureau, "objection.lodged", objection_link(objection), objector=user.org.name,
               provider=application.provider.name, pool=notice.pool.name)
    return objection


def answer(objection: Objection, user, outcome: str, reply: str) -> None:
    if objection.status != "open":
        raise PoolError(_l("This objection has already been answered."), status=409)
    if outcome not in ("sustained", "dismissed"):
        raise PoolError(_l("Choose an answer."), field="outcome")
    reply = (reply or "").strip()
    if not reply:
        raise PoolError(_l("Please write the reply to the objector."), field="reply")
    objection.status, objection.reply = outcome, reply[:10000]
    objection.answered_at, objection.answered_by_id = utc_now(), user.id
    application, notice = objection.application, objection.notice
    record(f"application.objection_{outcome}", application, actor=user, objection_id=objection.id,
           notice_id=notice.id, reason=reply)
    if outcome == "sustained":
        _take_out(notice, application, user, reply)
    notify_org(objection.org, "objection.answered", objection_link(objection), provider=application.provider.name,
               pool=notice.pool.name, outcome=outcome)
    db.session.flush()
    finalise(notice)


def _take_out(notice: PoolNotice, application: PoolApplication, user, reason: str) -> None:
    """A sustained objection: out of this batch and back to review (the bureau decides again)."""
    for entry in notice.entries:
        if entry.application_id == application.id and entry.removed_at is None:
            entry.removed_at = utc_now()
    if application.status in ("admitted", "suspended"):
        previous = application.status
        application.status, application.batch, application.confirmed_at = "under_review", None, None
        record("application.reopened_by_objection", application, actor=user, previous=previous, notice_id=notice.id,
               reason=reason)
        notify_org(application.provider, "objection.sustained", _provider_link(application), pool=notice.pool.name,
                   reason=reason)


# ----------------------------------------------------------------------------- 正式入库

def finalise(notice: PoolNotice, today: date | None = None) -> int:
    """After the period: confirm (正式入库) every listed application without an open objection; the notice is
    settled when none is left waiting. Returns how many were confirmed. Safe to run again."""
    today = today or date.today()
    if notice.finalised_at is not None or today <= notice.ends_on:
        return 0
    waiting = {o.application_id for o in notice.objections if o.status == "open"}
    confirmed = 0
    for entry in open_entries(notice):
        application = entry.application
        if application.id in waiting or application.confirmed_at is not None or application.status != "admitted":
            continue
        application.confirmed_at = utc_now()
        record("application.confirmed", application, notice_id=notice.id, batch=notice.batch)
        notify_org(application.provider, "application.confirmed", _provider_link(application), pool=notice.pool.name)
        confirmed += 1
    if not waiting:
        notice.finalised_at = utc_now()
        record("pool.notice_finalised", notice.pool, notice_id=notice.id, confirmed=confirmed)
    db.session.flush()
    return confirmed


def finalise_due(pool: Pool | None = None, today: date | None = None) -> int:
    """Every notice whose period has ended and that is not settled yet (of one pool, or all)."""
    today = today or date.today()
    query = sa.select(PoolNotice).where(PoolNotice.finalised_at.is_(None), PoolNotice.ends_on < today)
    if pool is not None:
        query = query.where(PoolNotice.pool_id == pool.id)
    return sum(finalise(notice, today) for notice in db.session.scalars(query.order_by(PoolNotice.id)).all())
