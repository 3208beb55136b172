"""Matchmaking events (供需对接活动): registration, suggested meetings, scheduling, outcomes."""
from flask_babel import lazy_gettext as _l

from marketplace.notifications.messages import MESSAGES

MESSAGES.update({
    "event.cancelled": _l("The event “%(title)s” was cancelled: %(reason)s"),
    "event.registration": _l("%(firm)s registered for “%(title)s” and waits for your approval."),
    "event.registration_approved": _l("Your registration for “%(title)s” was approved."),
    "event.registration_rejected": _l("Your registration for “%(title)s” was not accepted: %(reason)s"),
    "event.meeting_requested": _l("%(firm)s asks to meet you at “%(title)s”."),
    "event.meeting_accepted": _l("%(firm)s accepted your meeting request."),
    "event.meeting_declined": _l("%(firm)s declined your meeting request."),
    "event.book_reminder": _l("“%(title)s”: you have not booked any meeting yet. See who the matcher suggests."),
    "event.schedule_published": _l("The meeting schedule of “%(title)s” is published: see your agenda."),
})
