"""Readable names of the voucher area's audit actions and objects, added to the audit log's tables."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.audit import labels

ACTIONS = {
    "voucher_scheme.create": _l("Voucher scheme created"),
    "voucher_scheme.update": _l("Voucher scheme edited"),
    "voucher_scheme.budget": _l("Voucher scheme budget changed"),
    "voucher_scheme.publish": _l("Voucher scheme published"),
    "voucher_scheme.close": _l("Voucher scheme closed"),
    "voucher.apply": _l("Voucher applied for"),
    "voucher.withdraw": _l("Voucher application withdrawn"),
    "voucher.issue": _l("Voucher approved and issued; amount reserved"),
    "voucher.reject": _l("Voucher application rejected"),
    "voucher.accept": _l("Firm confirmed acceptance"),
    "voucher.claim": _l("Provider filed a claim"),
    "voucher.return": _l("Claim returned to the provider"),
    "voucher.pay": _l("Claim approved; payout recorded"),
    "voucher.expire": _l("Voucher expired; reservation released"),
}
labels.ACTION_LABELS.update(ACTIONS)
labels.OBJECT_LABELS.update({"voucher_scheme": _l("Voucher scheme"), "voucher": _l("Voucher"), "voucher_claim": _l("Voucher claim")})
labels.DETAIL_LABELS.update({"amount": _l("Amount (万元)"), "code": _l("Voucher code"), "scheme_id": _l("Scheme ID"),
                             "voucher_id": _l("Voucher ID"), "expires_on": _l("Expires on"), "released": _l("Released (万元)"),
                             "amount_paid": _l("Amount paid (万元)"), "amount_claimed": _l("Amount claimed (万元)"),
                             "budget": _l("Budget (万元)"), "old": _l("Before"), "new": _l("After")})


def action_label(action: str) -> str:
    return labels.action_label(action)
