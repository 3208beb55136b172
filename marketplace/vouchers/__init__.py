"""Voucher programmes (模型券, 场景券, 算力券, 语料券): schemes, vouchers, claims and the budget ledger."""
