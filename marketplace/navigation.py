"""Navigation by role, and translated labels for states.

A menu entry appears only once its endpoint exists, so the menu never links to a page
that has not been built.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ROLE_MENUS = {
    "manufacturer": [
        ("demands.mine", _l("My demands")),
        ("demands.lists", _l("Demand lists")),
        ("bids.received", _l("Bids received")),
        ("messages.inbox", _l("Messages")),
        ("bureau_lists.mine", _l("Chain demand lists")),  # demands a bureau listed for the firm: confirm or claim
        ("vouchers.mine", _l("My vouchers")),
    ],
    "provider": [
        ("opportunities.index", _l("Opportunities")),
        ("alerts.index", _l("Saved searches")),
        ("offerings.mine", _l("My offerings")),
        ("bids.mine", _l("My bids")),
        ("messages.inbox", _l("Messages")),
        ("applications.calls", _l("Pool applications")),
        ("vouchers.mine", _l("Voucher claims")),
        ("orgs.profile", _l("Company profile")),
    ],
    "bureau": [
        ("pools.manage", _l("Manage pools")),
        ("bureau_lists.index", _l("Chain demand lists")),
        ("dashboard.index", _l("Dashboard")),
        ("vouchers.manage", _l("Voucher schemes")),
        ("events.manage", _l("My events")),
        ("pools.my_reviews", _l("My reviews")),  # applications assigned to this officer as an expert reviewer
        ("audit.log", _l("Audit log")),
        ("api.ocds_export", _l("Open data (OCDS)")),  # the city's awarded and closed demands as one file
    ],
    "admin": [
        ("admin.users", _l("Users")),
        ("admin.orgs", _l("Organisations")),
        ("mail.admin_log", _l("Mail log")),
        ("jobs.index", _l("Background jobs")),
        ("dashboard.index", _l("Dashboard")),
        ("audit.log", _l("Audit log")),
    ],
}
PUBLIC_MENU = [("pools.public_index", _l("Provider pools")), ("events.index", _l("Matchmaking events")),
               ("vouchers.index", _l("AI vouchers"))]

STATUS_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "awarded": _l("Awarded"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
    "published": _l("Published"),
    "unpublished": _l("Unpublished"),
    "submitted": _l("Submitted"),
    "shortlisted": _l("Shortlisted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "under_review": _l("Under review"),
    "admitted": _l("Admitted"),
    "rejected": _l("Rejected"),
    "suspended": _l("Suspended"),
    "removed": _l("Removed"),
    "pending": _l("Pending"),
    "accepted": _l("Accepted"),
    "approved": _l("Approved"),
    "requested": _l("Requested"),
    "archived": _l("Archived"),
    "public": _l("Public"),
    "pool": _l("Pool members only"),
}


@dataclass
class NavItem:
    url: str
    label: str
    endpoint: str


def _items(entries) -> list[NavItem]:
    views = current_app.view_functions
    return [NavItem(url_for(endpoint), str(label), endpoint) for endpoint, label in entries if endpoint in views]


MAIN_ENTRIES = 4  # the rest of a role's menu goes under "More", so the bar fits a laptop in English too


def role_nav() -> tuple[list[NavItem], list[NavItem]]:
    """The menu bar's entries for this user, and those under "More"."""
    public = _items(PUBLIC_MENU)
    if not current_user.is_authenticated:
        return public, []
    role = _items(ROLE_MENUS.get(current_user.kind, []))
    # Providers reach the pools through their own "pool applications" page.
    shown = {item.endpoint for item in role}
    extra = [item for item in public if item.endpoint not in shown
             and not (current_user.kind == "provider" and item.endpoint == "pools.public_index")]
    return role[:MAIN_ENTRIES], role[MAIN_ENTRIES:] + extra


# Bootstrap badge colour of each status (ui.html's status_badge).
STATUS_COLOURS = {
    "draft": "secondary", "open": "success", "awarded": "primary", "closed": "dark", "cancelled": "danger",
    "published": "success", "unpublished": "secondary", "submitted": "info", "shortlisted": "warning",
    "declined": "danger", "withdrawn": "secondary", "under_review": "warning", "admitted": "success",
    "rejected": "danger", "suspended": "warning", "removed": "dark", "pending": "info", "accepted": "success",
    "archived": "secondary",
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "secondary")
