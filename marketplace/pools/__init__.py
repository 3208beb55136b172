"""Provider pools (资源池) run by bureaus: the call, expert panel review, 公示 with objections, members."""
from flask_babel import lazy_gettext as _l

from marketplace.audit.labels import ACTION_LABELS
from marketplace.notifications.messages import MESSAGES

MESSAGES.update({
    "pool_review.assigned": _l("You were assigned to review %(provider)s's application to “%(pool)s”: declare any conflict of interest, then score it."),
    "pool_review.recused": _l("%(reviewer)s declared a conflict of interest on %(provider)s's application to “%(pool)s”: assign another reviewer."),
    "notice.listed": _l("You are listed as proposed (拟入库) in the public notice of “%(pool)s”, until %(ends)s."),
    "objection.lodged": _l("%(objector)s lodged an objection against %(provider)s in the notice of “%(pool)s”."),
    "objection.answered": _l("The bureau answered your objection against %(provider)s in “%(pool)s”."),
    "objection.sustained": _l("An objection against your admission to “%(pool)s” was sustained; your application is under review again: %(reason)s"),
    "application.confirmed": _l("The notice period has ended: you are now a formal member (正式入库) of “%(pool)s”."),
})
ACTION_LABELS.update({
    "application.reviewer_assigned": _l("Reviewer assigned"),
    "application.reviewer_removed": _l("Reviewer taken off the panel"),
    "application.coi_declared": _l("Conflict of interest declared"),
    "application.objection_lodged": _l("Objection lodged"),
    "application.objection_sustained": _l("Objection sustained"),
    "application.objection_dismissed": _l("Objection dismissed"),
    "application.reopened_by_objection": _l("Taken out of the batch after an objection"),
    "application.confirmed": _l("Formally admitted (正式入库)"),
    "pool.notice_finalised": _l("Notice period settled"),
})
