"""Question rules. Flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from marketplace.audit.services import record
from marketplace.bids.models import LIVE_BID_STATUSES, Bid, Invitation
from marketplace.db import utc_now
from marketplace.demands import access
from marketplace.extensions import db
from marketplace.notifications.services import notify_org
from marketplace.orgs.models import Organisation
from marketplace.questions.models import Question


class QuestionError(ValueError):
    def __init__(self, message, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _link(demand) -> str:
    return url_for("demands.detail", demand_id=demand.id) + "#questions"


def can_ask(user, demand) -> bool:
    return bool(user and user.is_authenticated and user.org and user.org.kind == "provider"
                and demand.status == "open" and access.can_view(user, demand))


def ask(user, demand, body: str) -> Question:
    if not can_ask(user, demand):
        raise QuestionError(_l("Questions can be asked only by providers, while the demand is open."), 403)
    question = Question(demand_id=demand.id, asker_org_id=user.org_id, asker_user_id=user.id, body=body.strip())
    db.session.add(question)
    db.session.flush()
    notify_org(demand.org, "question.asked", _link(demand), demand=demand.title)
    record("question.asked", question, actor=user, demand_id=demand.id)
    return question


def interested_org_ids(demand_id: int) -> set[int]:
    """Providers who bid on the demand or were invited to: they hear of public clarifications."""
    bidders = db.session.scalars(sa.select(Bid.provider_org_id).where(Bid.demand_id == demand_id, Bid.status.in_(LIVE_BID_STATUSES)))
    invited = db.session.scalars(sa.select(Invitation.provider_org_id).where(Invitation.demand_id == demand_id))
    return set(bidders) | set(invited)


def answer(user, question: Question, text: str, public: bool) -> Question:
    if question.status == "answered":
        raise QuestionError(_l("This question has already been answered."), 409)
    question.answer, question.public, question.status = text.strip(), bool(public), "answered"
    question.answered_at, question.answered_by_id = utc_now(), user.id
    db.session.flush()
    demand = question.demand
    told = {question.asker_org_id} | (interested_org_ids(demand.id) if public else set())
    for org in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(told))):
        notify_org(org, "question.answered", _link(demand), demand=demand.title)
    record("question.answered", question, actor=user, public=bool(public))
    return question


def visible_questions(user, demand) -> list[Question]:
    """The firm sees every question; others the public clarifications and their own questions."""
    query = sa.select(Question).where(Question.demand_id == demand.id)
    if not access.is_owner(user, demand):
        clauses = [sa.and_(Question.status == "answered", Question.public.is_(True))]
        if user and user.is_authenticated and user.org_id:
            clauses.append(Question.asker_org_id == user.org_id)
        query = query.where(sa.or_(*clauses))
    return list(db.session.scalars(query.order_by(Question.created_at, Question.id)))
