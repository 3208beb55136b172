"""The exception the voucher services raise: a rule was broken, with a message for the user."""
from __future__ import annotations


class VoucherError(Exception):
    """`field` names the form field the message belongs beside (None: a message for the page)."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.status = status
