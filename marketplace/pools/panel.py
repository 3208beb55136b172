"""The expert panel: the bureau assigns reviewers (users of the bureau that runs the pool) to an
application; each reviewer declares a conflict of interest (none, or a conflict that recuses them)
and then fills in their own score sheet. Services flush and never commit."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.auth.models import User
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.notifications.services import notify, notify_org
from marketplace.pools import scoring
from marketplace.pools.errors import PoolError
from marketplace.pools.links import path_for
from marketplace.pools.models import PoolApplication, ReviewAssignment
from marketplace.pools.review import _require_pending, review_link, write_sheet


def _lock(application: PoolApplication) -> None:
    """Re-read the application under a row lock: reviewers of one panel save at the same moment, and each
    save rewrites the application's total (its version), which would otherwise fail the later one."""
    db.session.refresh(application, with_for_update=True)


def sheet_link(assignment: ReviewAssignment) -> str:
    return path_for("pools.review_sheet", assignment_id=assignment.id)


def eligible_reviewers(application: PoolApplication) -> list[User]:
    """Active users of the bureau that runs the pool and not yet on this application's panel."""
    taken = {a.reviewer_id for a in application.reviewers}
    return [u for u in db.session.scalars(sa.select(User).where(
        User.org_id == application.pool.bureau_org_id, User.active.is_(True)).order_by(User.name, User.id))
        if u.id not in taken]


def assign(application: PoolApplication, officer, reviewer_ids: list[int]) -> list[ReviewAssignment]:
    _lock(application)
    _require_pending(application)
    choosable = {u.id: u for u in eligible_reviewers(application)}
    chosen = [choosable.get(i) for i in dict.fromkeys(reviewer_ids)]
    if not chosen:
        raise PoolError(_l("Choose at least one reviewer."), field="reviewer_ids")
    if None in chosen:
        raise PoolError(_l("Reviewers are users of the bureau that runs the pool, each assigned once."),
                        field="reviewer_ids")
    added = []
    for reviewer in chosen:
        assignment = ReviewAssignment(reviewer_id=reviewer.id, reviewer=reviewer, assigned_by_id=officer.id)
        application.reviewers.append(assignment)
        added.append(assignment)
    db.session.flush()
    application.total_score = scoring.compute_total(application)  # the bureau's own sheet no longer counts
    for assignment in added:
        record("application.reviewer_assigned", application, actor=officer, reviewer_id=assignment.reviewer_id,
               reviewer=assignment.reviewer.name)
        notify([assignment.reviewer], "pool_review.assigned", sheet_link(assignment),
               provider=application.provider.name, pool=application.pool.name)
    db.session.flush()
    return added


def unassign(assignment: ReviewAssignment, officer) -> None:
    """Take a reviewer off the panel while the application is pending; their sheet goes with them."""
    application = assignment.application
    _lock(application)
    _require_pending(application)
    for score in [s for s in application.scores if s.scored_by_id == assignment.reviewer_id]:
        application.scores.remove(score)
    application.reviewers.remove(assignment)
    db.session.flush()
    application.total_score = scoring.compute_total(application)
    record("application.reviewer_removed", application, actor=officer, reviewer_id=assignment.reviewer_id,
           reviewer=assignment.reviewer.name)
    db.session.flush()


def _own(assignment: ReviewAssignment, user) -> None:
    if user is None or user.id != assignment.reviewer_id:
        raise PoolError(_l("Only the assigned reviewer can fill in this sheet."), status=403)


def declare_coi(assignment: ReviewAssignment, user, conflict: bool, note: str) -> None:
    """Once per assignment: no conflict (the reviewer may score), or a conflict (recused, bureau reassigns)."""
    _own(assignment, user)
    application = assignment.application
    _lock(application)
    _require_pending(application)
    if assignment.coi != "pending":
        raise PoolError(_l("The conflict of interest has already been declared for this application."), status=409)
    note = (note or "").strip()
    if conflict and not note:
        raise PoolError(_l("Please describe the conflict of interest."), field="coi_note")
    assignment.coi = "conflict" if conflict else "none"
    assignment.coi_note, assignment.coi_declared_at = note, utc_now()
    db.session.flush()
    record("application.coi_declared", application, actor=user, reviewer_id=user.id, conflict=conflict, note=note)
    if conflict:
        for score in [s for s in application.scores if s.scored_by_id == user.id]:
            application.scores.remove(score)
        application.total_score = scoring.compute_total(application)
        notify_org(application.pool.bureau, "pool_review.recused", review_link(application),
                   reviewer=user.name, provider=application.provider.name, pool=application.pool.name)
        db.session.flush()


def save_sheet(assignment: ReviewAssignment, user, entries: dict[int, tuple[Decimal | None, str]]) -> None:
    _own(assignment, user)
    application = assignment.application
    _lock(application)
    _require_pending(application)
    if assignment.coi == "pending":
        raise PoolError(_l("Declare whether you have a conflict of interest before scoring."), status=409)
    if assignment.coi == "conflict":
        raise PoolError(_l("You declared a conflict of interest and are recused from this application."), status=409)
    write_sheet(application, user, [s for s in application.scores if s.scored_by_id == user.id], entries)
