"""Which webhook event an audited action is, and for which organisation.

Every decision is already audited (marketplace.audit.services.record), so webhooks listen to new
audit events instead of adding a call to every service: one place, and nothing is missed.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from marketplace.audit.models import AuditEvent

BID_DECISIONS = {"bid.shortlist": "shortlisted", "bid.decline": "declined", "bid.award": "awarded"}


def _org(org) -> dict:
    return {"id": org.id, "name": org.name}


def _bid_event(session, audit: AuditEvent):
    from marketplace.bids.models import Bid

    bid = session.get(Bid, audit.object_id)
    if bid is None:
        return None
    data = {"bid_id": bid.id, "demand_id": bid.demand_id, "demand_title": bid.demand.title, "provider": _org(bid.provider),
            "price": f"{bid.price:.2f}", "status": bid.status}
    if audit.action == "bid.submit":
        return bid.demand.org_id, "bid.received", data
    return bid.provider_org_id, "bid.decided", {**data, "decision": BID_DECISIONS[audit.action],
                                                "reason": bid.decline_reason or None}


def _invitation_event(session, audit: AuditEvent):
    from marketplace.bids.models import Invitation

    invitation = session.get(Invitation, audit.object_id)
    if invitation is None:
        return None
    return invitation.provider_org_id, "invitation.received", {
        "invitation_id": invitation.id, "demand_id": invitation.demand_id, "demand_title": invitation.demand.title,
        "firm": _org(invitation.demand.org), "message": invitation.message}


def _application_event(session, audit: AuditEvent):
    from marketplace.pools.models import PoolApplication

    application = session.get(PoolApplication, audit.object_id)
    if application is None:
        return None
    return application.provider_org_id, "application.decided", {
        "application_id": application.id, "pool_id": application.pool_id, "pool_name": application.pool.name,
        "decision": application.status, "reason": application.decision_reason or None}


HANDLERS = {"bid.submit": _bid_event, **{action: _bid_event for action in BID_DECISIONS},
            "invitation.create": _invitation_event,
            "application.admitted": _application_event, "application.rejected": _application_event}


PENDING = "webhook_events"


@sa_event.listens_for(Session, "before_flush")
def _collect(session: Session, flush_context, instances) -> None:
    """Note the webhook events of the audit events in this flush (nothing is queued inside a flush)."""
    new_events = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new_events:
        return
    pending = session.info.setdefault(PENDING, [])
    with session.no_autoflush:
        for audit in new_events:
            if audit.action == "demand.publish":
                pending.append(("match_demand", audit.object_id))
            elif audit.action == "offering.published":
                pending.append(("match_offering", audit.object_id))
            handler = HANDLERS.get(audit.action)
            found = handler(session, audit) if handler else None
            if found is not None:
                pending.append(("emit", found))


@sa_event.listens_for(Session, "before_commit")
def _queue(session: Session) -> None:
    """Queue the noted events for organisations that listen, sent once this transaction commits."""
    session.flush()  # audit events added since the last flush are noted too
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    from marketplace.jobs import enqueue
    from marketplace.webhooks.models import WebhookEndpoint

    listening: dict[int, set] = {}
    for org_id, events in session.execute(sa.select(WebhookEndpoint.org_id, WebhookEndpoint.events)
                                          .where(WebhookEndpoint.active.is_(True))):
        listening.setdefault(org_id, set()).update(events or ())
    if not listening:
        return
    heard = set().union(*listening.values())
    demands = [item for kind, item in pending if kind == "match_demand"]
    offerings = [item for kind, item in pending if kind == "match_offering"]
    if demands and "demand.matched" in heard:
        enqueue("webhooks.match_demands", demand_ids=demands)
    if offerings and "offering.matched" in heard:
        enqueue("webhooks.match_offerings", offering_ids=offerings)
    for kind, item in pending:
        if kind == "emit":
            org_id, name, data = item
            if name in listening.get(org_id, ()):
                enqueue("webhooks.emit", org_id=org_id, event=name, data=data)


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)


def emit_demand_matches(demand_id: int) -> None:
    """A newly published demand: tell each provider whose offering matches it above its endpoint's threshold."""
    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.matches import services as matches
    from marketplace.webhooks import services
    from marketplace.webhooks.models import WebhookEndpoint

    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.status != "open" or demand.visibility != "public":
        return
    listening = set(db.session.scalars(sa.select(WebhookEndpoint.org_id).where(WebhookEndpoint.active.is_(True))))
    if not listening:
        return
    if matches.pending("demand", [demand]):  # its stored matches may be computed after this job: do it now
        from marketplace.matches.tasks import refresh_items

        refresh_items(demand_ids=[demand.id])
    best: dict[int, tuple[float, object]] = {}
    for item in matches.offerings_for_demand(demand, None, limit=100):
        org_id = item.obj.org_id
        if org_id in listening and (org_id not in best or item.score > best[org_id][0]):
            best[org_id] = (item.score, item)
    for org_id, (score, item) in best.items():
        services.emit(org_id, "demand.matched", {"demand_id": demand.id, "demand_title": demand.title,
                                                 "offering_id": item.obj.id, "score": round(score, 4),
                                                 "reasons": [r.zh for r in item.reasons]}, score=score)


def emit_offering_matches(offering_id: int) -> None:
    """A newly published offering: tell each firm whose open public demand it matches above the threshold."""
    from marketplace.extensions import db
    from marketplace.matches import services as matches
    from marketplace.offerings.models import Offering
    from marketplace.webhooks import services
    from marketplace.webhooks.models import WebhookEndpoint

    offering = db.session.get(Offering, offering_id)
    if offering is None or offering.status != "published":
        return
    listening = set(db.session.scalars(sa.select(WebhookEndpoint.org_id).where(WebhookEndpoint.active.is_(True))))
    if not listening:
        return
    if matches.pending("offering", [offering]):
        from marketplace.matches.tasks import refresh_items

        refresh_items(offering_ids=[offering.id])
    for item in matches.demands_for_offering(offering, None, limit=100):
        if item.obj.org_id in listening:
            services.emit(item.obj.org_id, "offering.matched", {
                "offering_id": offering.id, "offering_title": offering.title, "provider": _org(offering.org),
                "demand_id": item.obj.id, "score": round(item.score, 4), "reasons": [r.zh for r in item.reasons]},
                score=item.score)
