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
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
