"""Readable names for audit actions; an action without one is shown by its code."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "pool.created": _l("Pool created"),
    "pool.updated": _l("Pool edited"),
    "pool.opened": _l("Call opened"),
    "pool.closed": _l("Call closed"),
    "pool.archived": _l("Pool archived"),
    "pool.notice_published": _l("Public notice published"),
    "pool.batch_admitted": _l("Batch admitted"),
    "application.submitted": _l("Application submitted"),
    "application.withdrawn": _l("Application withdrawn"),
    "application.scored": _l("Application scored"),
    "application.admitted": _l("Application admitted"),
    "application.rejected": _l("Application rejected"),
    "application.appealed": _l("Decision appealed"),
    "application.appeal_upheld": _l("Appeal answered: rejection upheld"),
    "application.appeal_reopened": _l("Appeal answered: reopened for review"),
    "application.suspended": _l("Member suspended"),
    "application.removed": _l("Member removed"),
    "application.reinstated": _l("Member reinstated"),
    "application.rechecked": _l("Member re-checked"),
    "demand_list.created": _l("Demand list created"),
    "demand_list.updated": _l("Demand list edited"),
    "demand_list.published": _l("Demand list published"),
    "demand.listed": _l("Demand listed for a firm"),
    "demand.updated": _l("Demand edited"),
    "demand.owner_confirmed": _l("Firm confirmed the demand"),
    "demand.owner_disowned": _l("Firm said the demand is not theirs"),
    "demand.claimed": _l("Firm claimed the demand"),
    "demand.withdrawn_from_list": _l("Demand withdrawn from the list"),
    "demand.create": _l("Demand created"),
    "demand.update": _l("Demand edited"),
    "demand.publish": _l("Demand published"),
    "demand.cancel": _l("Demand cancelled"),
    "demand.award": _l("Demand awarded"),
    "demand.close": _l("Demand closed"),
    "demand_list.create": _l("Demand list created"),
    "demand_list.update": _l("Demand list edited"),
    "demand_list.publish": _l("Demand list published"),
    "demand_list.add": _l("Demand added to a list"),
    "demand_list.import": _l("Demand list imported"),
    "bid.submit": _l("Bid submitted"),
    "bid.update": _l("Bid edited"),
    "bid.withdraw": _l("Bid withdrawn"),
    "bid.shortlist": _l("Bid shortlisted"),
    "bid.decline": _l("Bid declined"),
    "bid.award": _l("Bid awarded"),
    "invitation.create": _l("Provider invited to bid"),
    "invitation.accepted": _l("Invitation accepted"),
    "invitation.declined": _l("Invitation declined"),
    "review.create": _l("Provider reviewed"),
}
ACTION_LABELS.update({
    # Communication (issue 10)
    "user.password_reset_requested": _l("Password reset requested"),
    "user.password_reset": _l("Password reset by emailed link"),
    "user.password_set": _l("Own password chosen at first login"),
    "user.email_verified": _l("Email address confirmed"),
    "mail.unsubscribed": _l("Unsubscribed from an email"),
    "mail.retried": _l("Email sent again"),
    "question.asked": _l("Question asked"),
    "question.answered": _l("Question answered"),
    "bid.message_sent": _l("Message on a bid"),
})


def _label(table: dict, key: str) -> str:
    """The translated label for `key`, or the key itself when it has none."""
    label = table.get(key)
    return str(label) if label is not None else key


def action_label(action: str) -> str:
    return _label(ACTION_LABELS, action)


OBJECT_LABELS = {
    "user_account": _l("User"),
    "user": _l("User"),
    "organisation": _l("Organisation"),
    "bid": _l("Bid"),
    "invitation": _l("Invitation"),
    "review": _l("Review"),
    "demand_list": _l("Demand list"),
    "demand": _l("Demand"),
    "offering": _l("Offering"),
    "case_study": _l("Case study"),
    "pool": _l("Pool"),
    "pool_application": _l("Pool application"),
    "attachment": _l("Attachment"),
    "taxonomy_term": _l("Taxonomy term"),
}


def object_label(object_type: str) -> str:
    """The readable name of an audited object's type; an unknown type is shown as stored."""
    return _label(OBJECT_LABELS, object_type)


DETAIL_LABELS = {
    "title": _l("Title"), "name": _l("Object name"), "reason": _l("Reason"), "note": _l("Note"), "batch": _l("Batch"),
    "total": _l("Total score"), "previous": _l("Previous status"), "pool_id": _l("Pool ID"), "list_id": _l("List ID"),
    "firm_id": _l("Firm ID"), "demand_id": _l("Demand ID"), "bid_id": _l("Bid ID"), "provider_org_id": _l("Provider ID"),
    "offering_id": _l("Offering ID"), "price": _l("Price (万元)"), "duration_days": _l("Duration (days)"),
    "rating": _l("Rating"), "rows": _l("Rows"), "published": _l("Published"), "source": _l("Source"), "line": _l("Line"),
    "passed": _l("Passed"), "declined": _l("Declined bids"), "starts_on": _l("Starts on"), "ends_on": _l("Ends on"),
    "fields": _l("Fields"), "changed": _l("Changed"), "role": _l("Role"), "kind": _l("Kind"),
}


def detail_label(key: str) -> str:
    return _label(DETAIL_LABELS, key)
