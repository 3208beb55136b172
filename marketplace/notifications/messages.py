"""Notification texts, keyed by kind. Rendered in the reader's language at display time.

Areas add their kinds here; params are plain strings/numbers stored with the notification.
"""
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "welcome": _l("Welcome to the AI + Manufacturing marketplace."),
    "bid.received": _l("%(provider)s submitted a bid on “%(demand)s”."),
    "bid.updated": _l("%(provider)s revised its bid on “%(demand)s”."),
    "bid.withdrawn": _l("%(provider)s withdrew its bid on “%(demand)s”."),
    "bid.shortlisted": _l("Your bid on “%(demand)s” was shortlisted."),
    "bid.awarded": _l("Your bid on “%(demand)s” won the award."),
    "bid.declined": _l("Your bid on “%(demand)s” was declined: %(reason)s"),
    "bid.closed_other_awarded": _l("Bidding on “%(demand)s” has closed; another provider was awarded."),
    "invitation.received": _l("%(firm)s invited you to bid on “%(demand)s”."),
    "invitation.accepted": _l("%(provider)s accepted your invitation to bid on “%(demand)s”."),
    "invitation.declined": _l("%(provider)s declined your invitation to bid on “%(demand)s”."),
    "demand.cancelled": _l("“%(demand)s” was cancelled: %(reason)s"),
    "demand.closed": _l("“%(demand)s” was closed."),
    "review.received": _l("%(firm)s rated your work on “%(demand)s” %(rating)s/5."),
    "application.received": _l("%(provider)s applied to the pool “%(pool)s”."),
    "application.admitted": _l("Your application to “%(pool)s” was admitted (%(batch)s)."),
    "application.rejected": _l("Your application to “%(pool)s” was rejected: %(reason)s"),
    "application.under_review": _l("Your application to “%(pool)s” is under review."),
    "application.withdrawn": _l("%(provider)s withdrew its application to the pool “%(pool)s”."),
    "application.appealed": _l("%(provider)s appealed the decision on its application to “%(pool)s”."),
    "application.suspended": _l("Your membership of “%(pool)s” was suspended: %(reason)s"),
    "application.removed": _l("You were removed from “%(pool)s”: %(reason)s"),
    "application.reinstated": _l("Your membership of “%(pool)s” was reinstated."),
    "list.demand_to_confirm": _l("%(publisher)s listed “%(demand)s” for your firm. Please confirm or correct it."),
}


def render(kind: str, params: dict) -> str:
    template = MESSAGES.get(kind)
    if template is None:
        return kind
    try:
        return str(template) % {k: v for k, v in (params or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(template)
MESSAGES.update({
    # Bureau answers to an appeal (pools area).
    "application.appeal_upheld": _l("Your appeal on “%(pool)s” was answered: the rejection stands. %(reason)s"),
    "application.appeal_reopened": _l("Your appeal on “%(pool)s” was accepted: the application is under review again. %(reason)s"),
    # Chain demand lists: a firm claimed or corrected a demand listed by the bureau.
    "list.demand_claimed": _l("%(firm)s claimed “%(demand)s” in the list “%(list)s”."),
    "list.demand_confirmed": _l("%(firm)s confirmed “%(demand)s” in the list “%(list)s”."),
    "list.demand_disowned": _l("%(firm)s says “%(demand)s” in the list “%(list)s” is not theirs."),
})
MESSAGES.update({
    # Communication (issue 10): questions on demands, messages on bids, reminders, saved-search alerts.
    "question.asked": _l("A provider asked a question on “%(demand)s”."),
    "question.answered": _l("The firm answered a question on “%(demand)s”."),
    "message.received": _l("%(sender)s sent a message about the bid on “%(demand)s”."),
    "reminder.deadline_near": _l("The deadline of “%(demand)s” is %(deadline)s and %(count)s bids are still waiting for your answer."),
    "reminder.rescued": _l("“%(demand)s” has had no bid for %(days)s days: we invited %(count)s matching providers to bid."),
    "reminder.offering_idle": _l("“%(offering)s” has no matching opportunities yet. It would match more with: %(missing)s."),
    "reminder.pool_recheck": _l("The re-check of %(provider)s in “%(pool)s” is due on %(due)s."),
    "reminder.notice_ended": _l("The public notice of “%(pool)s” ended on %(ended)s. Please finalise the admitted batch."),
})
