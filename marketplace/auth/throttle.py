"""Login limits that hold with any number of workers and parallel tries.

Every try is counted *before* the password is checked, with one atomic increment in the limiter's
storage (Redis in production), so a burst of parallel tries cannot slip past a check that has not
yet seen the others. Limits:

- per account and address (LOGIN_LIMIT_PER_ACCOUNT, 5 per 15 minutes): a guesser locks only their
  own address out of that account, never the owner at another address; reset by a successful login;
- per address (LOGIN_LIMIT_PER_ADDRESS, 20 per 15 minutes), over all accounts; a successful login
  gives its try back, so an office behind one address is not locked out by its own logins;
- per account over all addresses (LOGIN_LIMIT_PER_ACCOUNT_TOTAL, 100 per hour): against guessing
  from many addresses. Beyond it tries are not refused but slowed (LOGIN_SLOWDOWN_SECONDS each), so
  the owner with the right password still gets in from a new address, and guessing crawls.
"""
from __future__ import annotations

import time
from enum import Enum

from flask import current_app
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from marketplace.extensions import limiter


class Verdict(Enum):
    GO = "go"
    SLOW = "slow"
    REFUSE = "refuse"


def _strategy() -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(limiter.storage)


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True)) and limiter.enabled


def _limit(name: str):
    return parse(current_app.config[name])


def _prefix() -> str:
    return current_app.config.get("RATELIMIT_KEY_PREFIX", "") or "mkt"


def admit(email: str, address: str) -> Verdict:
    """Count this try and say whether its password may be checked."""
    if not _enabled():
        return Verdict.GO
    strategy, prefix = _strategy(), _prefix()
    per_address, per_account = _limit("LOGIN_LIMIT_PER_ADDRESS"), _limit("LOGIN_LIMIT_PER_ACCOUNT")
    address_ok = strategy.hit(per_address, prefix, "login-address", address)
    account_ok = strategy.hit(per_account, prefix, "login-account", email, address)
    if not (address_ok and account_ok):
        # A refused try checks no password, so it gives both counts back: they count checked tries only.
        # Still exactly N get through: an admitted try never gives its count back (except by succeeding).
        strategy.hit(per_address, prefix, "login-address", address, cost=-1)
        strategy.hit(per_account, prefix, "login-account", email, address, cost=-1)
        return Verdict.REFUSE
    if not strategy.hit(_limit("LOGIN_LIMIT_PER_ACCOUNT_TOTAL"), prefix, "login-account-total", email):
        return Verdict.SLOW
    return Verdict.GO


def slow_down() -> None:
    time.sleep(float(current_app.config.get("LOGIN_SLOWDOWN_SECONDS", 2)))


def succeeded(email: str, address: str) -> None:
    """The password was right: this address starts afresh on this account and gets its try back."""
    if not _enabled():
        return
    strategy, prefix = _strategy(), _prefix()
    account = _limit("LOGIN_LIMIT_PER_ACCOUNT")
    limiter.storage.clear(account.key_for(prefix, "login-account", email, address))
    strategy.hit(_limit("LOGIN_LIMIT_PER_ADDRESS"), prefix, "login-address", address, cost=-1)
