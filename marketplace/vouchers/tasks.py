"""Background jobs of the voucher area."""
from __future__ import annotations

from marketplace.jobs import periodic
from marketplace.vouchers import services


@periodic("vouchers.expire", minute="5", hour="*")
def expire_vouchers() -> None:
    """Hourly: vouchers past their expiry date and unused are expired; their reservation returns to the budget."""
    services.expire_due()
