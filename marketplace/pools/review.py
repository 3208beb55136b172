"""Reviewing applications: scores, admission and rejection (one by one or as a batch),
appeals, and running members (suspend, remove, reinstate, periodic re-check).

Every decision is audited and the provider notified. Services flush and never commit.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.pools.links import path_for
from marketplace.notifications.services import notify_org
from marketplace.pools.errors import PoolError
from marketplace.pools import scoring
from marketplace.pools.models import ApplicationScore, PoolApplication
from marketplace.pools.services import MEMBER_STATUSES, PENDING_STATUSES, check_version, places_left
from marketplace.navigation import status_label

DECIDABLE_POOL_STATUSES = ("open", "closed")


def provider_link(application: PoolApplication) -> str:
    """Where the provider follows its application (the provider's pages when they exist)."""
    if "applications.detail" in current_app.view_functions:
        return path_for("applications.detail", application_id=application.id)
    return path_for("pools.public_detail", pool_id=application.pool_id)


def review_link(application: PoolApplication) -> str:
    return path_for("pools.review", application_id=application.id)


def _already_decided(application: PoolApplication) -> PoolError:
    return PoolError(_l("This application has already been decided (now: %(status)s). Nothing was changed; "
                        "reload the page to see the decision.", status=status_label(application.status)), status=409)


def _require_pending(application: PoolApplication) -> None:
    if application.status not in PENDING_STATUSES:
        raise _already_decided(application)
    if application.pool.status not in DECIDABLE_POOL_STATUSES:
        raise PoolError(_l("Applications can be reviewed only while the pool's call is open or closed."), status=409)


def submitted_in_window(application: PoolApplication) -> bool:
    pool, day = application.pool, application.submitted_at.date()
    return (pool.opens_on is None or pool.opens_on <= day) and (pool.closes_on is None or day <= pool.closes_on)


# ----------------------------------------------------------------------------- scores

def save_scores(application: PoolApplication, user, version, entries: dict[int, tuple[Decimal | None, str]]) -> None:
    """The bureau's own sheet, for an application without an expert panel (see panel.save_sheet)."""
    check_version(application, version)
    _require_pending(application)
    if application.reviewers:
        raise PoolError(_l("This application is scored by its expert panel; each reviewer fills in their own sheet."),
                        status=409)
    write_sheet(application, user, list(application.scores), entries)


def write_sheet(application: PoolApplication, user, current: list[ApplicationScore],
                entries: dict[int, tuple[Decimal | None, str]]) -> None:
    """Replace the sheet made of `current` scores with `entries`: rubric item id -> (points or None, comment).
    Empty points leave the item unscored. The new scores are scored by `user`; the total follows the pool's rule."""
    existing = {score.rubric_item_id: score for score in current}
    for item in application.pool.rubric_items:
        points, comment = entries.get(item.id, (None, ""))
        score = existing.get(item.id)
        if points is None:
            if score is not None:
                application.scores.remove(score)
            continue
        if not (0 <= points <= item.max_points):
            raise PoolError(_l("Between 0 and %(max)d.", max=item.max_points), field=f"points_{item.id}")
        if score is None:
            score = ApplicationScore(rubric_item_id=item.id, scored_by_id=user.id)
            application.scores.append(score)
        score.points, score.comment = points, (comment or "").strip()
        score.scored_by_id, score.scored_at = user.id, utc_now()
    application.total_score = scoring.compute_total(application)
    first_look = application.status == "submitted"
    application.status = "under_review"
    db.session.flush()
    record("application.scored", application, actor=user, total=application.total_score)
    if first_look:
        notify_org(application.provider, "application.under_review", provider_link(application), pool=application.pool.name)


# ----------------------------------------------------------------------------- decisions

def _incomplete(applications: list[PoolApplication]) -> PoolError | None:
    """Admission needs a complete sheet from the bureau, or from every assigned reviewer not recused."""
    gaps = {a.id: scoring.admission_gaps(a) for a in applications}
    missing = [a for a in applications if gaps[a.id]]
    if not missing:
        return None
    if len(applications) == 1:
        return PoolError(_l("Admission needs a complete score sheet from every reviewer: %(gaps)s.",
                            gaps="; ".join(gaps[missing[0].id])))
    return PoolError(_l("The score sheets of %(names)s are not complete. Nothing was changed.",
                        names="、".join(a.provider.name for a in missing)))


def _admit(application: PoolApplication, user, batch: str) -> None:
    application.status = "admitted"
    application.batch = batch or None
    application.decision_reason = ""
    application.decided_at, application.decided_by_id = utc_now(), user.id
    application.last_checked_on = date.today()
    record("application.admitted", application, actor=user, pool_id=application.pool_id, batch=batch)
    notify_org(application.provider, "application.admitted", provider_link(application),
               pool=application.pool.name, batch=batch or "—")


def admit(application: PoolApplication, user, version, batch: str = "") -> None:
    check_version(application, version, _already_decided(application).message if application.status not in PENDING_STATUSES else None)
    _require_pending(application)
    if not submitted_in_window(application):
        raise PoolError(_l("This application was submitted outside the application window and cannot be admitted."))
    problem = _incomplete([application])
    if problem is not None:
        raise problem
    left = places_left(application.pool)
    if left is not None and left < 1:
        raise PoolError(_l("The pool's quota of %(quota)d members is full.", quota=application.pool.quota))
    _admit(application, user, (batch or "").strip())
    db.session.flush()


def reject(application: PoolApplication, user, version, reason: str) -> None:
    check_version(application, version, _already_decided(application).message if application.status not in PENDING_STATUSES else None)
    _require_pending(application)
    reason = (reason or "").strip()
    if not reason:
        raise PoolError(_l("Please give the reason for the rejection."), field="reason")
    application.status = "rejected"
    application.decision_reason = reason
    application.decided_at, application.decided_by_id = utc_now(), user.id
    db.session.flush()
    record("application.rejected", application, actor=user, pool_id=application.pool_id, reason=reason)
    notify_org(application.provider, "application.rejected", provider_link(application),
               pool=application.pool.name, reason=reason)


def batch_admit(pool, user, application_ids: list[int], batch: str) -> list[PoolApplication]:
    """Admit several applications at once (e.g. 首批入库): all of them, or none."""
    batch = (batch or "").strip()
    if not batch:
        raise PoolError(_l("Please name the batch."), field="batch")
    wanted = set(application_ids)
    chosen = [a for a in pool.applications if a.id in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise PoolError(_l("Choose at least one application of this pool."))
    if pool.status not in DECIDABLE_POOL_STATUSES:
        raise PoolError(_l("Applications can be reviewed only while the pool's call is open or closed."), status=409)
    decided = [a for a in chosen if a.status not in PENDING_STATUSES]
    if decided:
        raise PoolError(_l("Some applications were decided meanwhile (%(names)s). Nothing was changed; reload the list.",
                           names="、".join(a.provider.name for a in decided)), status=409)
    late = [a for a in chosen if not submitted_in_window(a)]
    if late:
        raise PoolError(_l("Submitted outside the application window: %(names)s. Nothing was changed.",
                           names="、".join(a.provider.name for a in late)))
    problem = _incomplete(chosen)
    if problem is not None:
        raise problem
    left = places_left(pool)
    if left is not None and len(chosen) > left:
        raise PoolError(_l("Only %(left)d places are left within the quota of %(quota)d; you chose %(n)d. Nothing was changed.",
                           left=left, quota=pool.quota, n=len(chosen)))
    for application in chosen:
        _admit(application, user, batch)
    db.session.flush()
    record("pool.batch_admitted", pool, actor=user, batch=batch, applications=[a.id for a in chosen])
    return chosen


# ----------------------------------------------------------------------------- appeals

def appeal(application: PoolApplication, user, text: str) -> None:
    """A rejected provider appeals the decision, once. Called by the provider's applications pages."""
    if user is None or user.org_id != application.provider_org_id:
        raise PoolError(_l("Only the applicant can appeal this decision."), status=403)
    if application.status != "rejected":
        raise PoolError(_l("Only a rejected application can be appealed."), status=409)
    if application.appealed_at is not None:
        raise PoolError(_l("This decision has already been appealed; an application may be appealed once."), status=409)
    text = (text or "").strip()
    if not text:
        raise PoolError(_l("Please explain why the decision should be reviewed."), field="text")
    application.appeal_text = text[:5000]
    application.appealed_at = utc_now()
    db.session.flush()
    record("application.appealed", application, actor=user, pool_id=application.pool_id)
    notify_org(application.pool.bureau, "application.appealed", review_link(application),
               provider=application.provider.name, pool=application.pool.name)


def answer_appeal(application: PoolApplication, user, version, outcome: str, reason: str) -> None:
    check_version(application, version)
    if application.appealed_at is None or application.appeal_outcome:
        raise PoolError(_l("There is no open appeal on this application."), status=409)
    reason = (reason or "").strip()
    if not reason:
        raise PoolError(_l("Please give a reason."), field="reason")
    if outcome == "reopen":
        application.status = "under_review"
        application.appeal_outcome = "reopened"
        kind = "application.appeal_reopened"
    elif outcome == "uphold":
        application.appeal_outcome = "upheld"
        kind = "application.appeal_upheld"
    else:
        raise PoolError(_l("Choose an answer."), field="outcome")
    db.session.flush()
    record(kind, application, actor=user, pool_id=application.pool_id, reason=reason)
    notify_org(application.provider, kind, provider_link(application), pool=application.pool.name, reason=reason)


# ----------------------------------------------------------------------------- members

MEMBER_ACTIONS = {
    # action: (allowed from, new status, notification kind)
    "suspend": (("admitted",), "suspended", "application.suspended"),
    "remove": (("admitted", "suspended"), "removed", "application.removed"),
    "reinstate": (("suspended",), "admitted", "application.reinstated"),
}


def member_action(application: PoolApplication, user, version, action: str, reason: str) -> None:
    check_version(application, version)
    if action not in MEMBER_ACTIONS:
        raise PoolError(_l("Choose an action."), field="action")
    allowed, new_status, kind = MEMBER_ACTIONS[action]
    if application.status not in allowed:
        raise PoolError(_l("This cannot be done to a member whose status is %(status)s.",
                           status=status_label(application.status)), status=409)
    reason = (reason or "").strip()
    if action != "reinstate" and not reason:
        raise PoolError(_l("Please give the reason."), field="reason")
    previous, application.status = application.status, new_status
    application.decision_reason = reason or application.decision_reason
    db.session.flush()
    record(f"application.{new_status if action != 'reinstate' else 'reinstated'}", application, actor=user,
           pool_id=application.pool_id, previous=previous, reason=reason)
    notify_org(application.provider, kind, provider_link(application), pool=application.pool.name, reason=reason)


def due_for_recheck(application: PoolApplication, today: date | None = None) -> bool:
    months = application.pool.recheck_months
    if not months or application.status not in MEMBER_STATUSES:
        return False
    last = application.last_checked_on or (application.decided_at.date() if application.decided_at else None)
    if last is None:
        return True
    today = today or date.today()
    return (today.year - last.year) * 12 + (today.month - last.month) - (today.day < last.day) >= months


def recheck(application: PoolApplication, user, version, passed: bool, note: str) -> None:
    """Record a periodic re-check; a failed check suspends the member."""
    check_version(application, version)
    if application.status not in MEMBER_STATUSES:
        raise PoolError(_l("Only members can be re-checked."), status=409)
    note = (note or "").strip()
    application.last_checked_on = date.today()
    if passed:
        db.session.flush()
        record("application.rechecked", application, actor=user, pool_id=application.pool_id, passed=True, note=note)
        return
    if not note:
        raise PoolError(_l("Please say why the member no longer meets the criteria."), field="note")
    record("application.rechecked", application, actor=user, pool_id=application.pool_id, passed=False, note=note)
    if application.status == "admitted":
        member_action(application, user, application.version, "suspend", note)
    else:
        db.session.flush()
