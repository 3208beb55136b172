"""The access matrix for every demand and bid route: owner, another firm, provider A (the bidder),
provider B, the city's bureau and anonymous, reading and changing.

404 for what a viewer may not see, 403 for what they may see but not change, 302 to the login page
for anonymous visitors to member pages. State-changing routes that succeed redirect (302 elsewhere).
"""
from __future__ import annotations

import pytest

from tests.conftest import TEST_PASSWORD, make_bid, make_demand, make_org, make_user

ROLES = ("owner", "other_firm", "provider_a", "provider_b", "bureau", "anonymous")
LOGIN = "login"  # anonymous is sent to the login page

# (method, url template, data, {role: expected status})
MATRIX = [
    # reading demands
    ("GET", "/demands/", None, dict(owner=200, other_firm=200, provider_a=200, provider_b=200, bureau=200, anonymous=200)),
    ("GET", "/demands/{open}", None, dict(owner=200, other_firm=200, provider_a=200, provider_b=200, bureau=200, anonymous=200)),
    ("GET", "/demands/{draft}", None, dict(owner=200, other_firm=404, provider_a=404, provider_b=404, bureau=200, anonymous=404)),
    ("GET", "/demands/mine", None, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/demands/mine/export", None, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    # changing demands
    ("GET", "/demands/new", None, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/demands/{open}/edit", None, dict(owner=200, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("POST", "/demands/{open}/edit", {"title": "改过的标题", "version": "1"}, dict(owner=302, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/demands/{draft}/edit", None, dict(owner=200, other_firm=404, provider_a=404, provider_b=404, bureau=403, anonymous=LOGIN)),
    ("POST", "/demands/{draft}/publish", {}, dict(owner=302, other_firm=404, provider_a=404, provider_b=404, bureau=403, anonymous=LOGIN)),
    ("POST", "/demands/new", {"title": ""}, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("POST", "/demands/{open}/cancel", {"reason": "不做了"}, dict(owner=302, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    # bids: reading
    ("GET", "/bids/{bid}", None, dict(owner=200, other_firm=404, provider_a=200, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("GET", "/bids/received", None, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/bids/mine", None, dict(owner=403, other_firm=403, provider_a=200, provider_b=200, bureau=403, anonymous=LOGIN)),
    ("GET", "/bids/invitations", None, dict(owner=403, other_firm=403, provider_a=200, provider_b=200, bureau=403, anonymous=LOGIN)),
    # bids: the firm's decisions
    ("POST", "/bids/{bid}/shortlist", {"version": "1"}, dict(owner=302, other_firm=404, provider_a=403, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("GET", "/bids/{bid}/decline", None, dict(owner=200, other_firm=404, provider_a=403, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("POST", "/bids/{bid}/award", {"version": "1"}, dict(owner=302, other_firm=404, provider_a=403, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("POST", "/bids/demand/{open}/invite", {"provider_org_id": "{provider_b_org}"}, dict(owner=302, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("POST", "/bids/demand/{open}/close", {}, dict(owner=302, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/bids/demand/{open}/review", None, dict(owner=302, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("POST", "/bids/demand/{open}/review", {"rating": "5", "comment": "好"}, dict(owner=302, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    # bids: the provider's own
    ("GET", "/bids/new?demand_id={open}", None, dict(owner=403, other_firm=403, provider_a=302, provider_b=200, bureau=403, anonymous=LOGIN)),
    ("GET", "/bids/new?demand_id={draft}", None, dict(owner=403, other_firm=403, provider_a=404, provider_b=404, bureau=403, anonymous=LOGIN)),
    ("GET", "/bids/{bid}/edit", None, dict(owner=403, other_firm=404, provider_a=200, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("POST", "/bids/{bid}/edit", {"price": "1", "duration_days": "1", "approach": "x", "version": "1"}, dict(owner=403, other_firm=404, provider_a=302, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("POST", "/bids/invitations/{invitation}/answer", {"answer": "decline"}, dict(owner=403, other_firm=403, provider_a=404, provider_b=302, bureau=403, anonymous=LOGIN)),
    ("POST", "/bids/{bid}/withdraw", {}, dict(owner=403, other_firm=404, provider_a=302, provider_b=404, bureau=404, anonymous=LOGIN)),
    # demand lists
    ("GET", "/demands/lists/", None, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/demands/lists/new", None, dict(owner=200, other_firm=200, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/demands/lists/template.xlsx", None, dict(owner=200, other_firm=200, provider_a=200, provider_b=200, bureau=200, anonymous=200)),
    ("POST", "/demands/lists/{draft_list}/add", {"demand_id": "{draft}"}, dict(owner=302, other_firm=404, provider_a=404, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("GET", "/demands/lists/{draft_list}", None, dict(owner=200, other_firm=404, provider_a=404, provider_b=404, bureau=404, anonymous=404)),
    ("GET", "/demands/lists/{published_list}", None, dict(owner=200, other_firm=200, provider_a=200, provider_b=200, bureau=200, anonymous=200)),
    ("GET", "/demands/lists/{published_list}/edit", None, dict(owner=200, other_firm=403, provider_a=403, provider_b=403, bureau=403, anonymous=LOGIN)),
    ("GET", "/demands/lists/{draft_list}/import", None, dict(owner=200, other_firm=404, provider_a=404, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("POST", "/demands/lists/{draft_list}/publish", {}, dict(owner=302, other_firm=404, provider_a=404, provider_b=404, bureau=404, anonymous=LOGIN)),
    ("GET", "/demands/lists/{draft_list}/export", None, dict(owner=200, other_firm=404, provider_a=404, provider_b=404, bureau=404, anonymous=404)),
]


@pytest.fixture
def world(db):
    from marketplace.bids.models import Invitation
    from marketplace.demands.models import DemandList

    firm = make_org("manufacturer", name="潍坊动力机械", city="weifang")
    other = make_org("manufacturer", name="青岛别家", city="qingdao")
    provider_a, provider_b = make_org("provider", name="甲"), make_org("provider", name="乙")
    bureau = make_org("bureau", name="潍坊市工信局", city="weifang", credit_code=None)
    users = {
        "owner": make_user(firm, email="owner@x.example"), "other_firm": make_user(other, email="other@x.example"),
        "provider_a": make_user(provider_a, email="a@x.example"), "provider_b": make_user(provider_b, email="b@x.example"),
        "bureau": make_user(bureau, email="bureau@x.example"),
    }
    open_demand = make_demand(firm, created_by_id=users["owner"].id)
    draft = make_demand(firm, title="草稿", status="draft")
    bid = make_bid(open_demand, provider_a)
    invitation = Invitation(demand_id=open_demand.id, provider_org_id=provider_b.id, invited_by_id=users["owner"].id)
    draft_list = DemandList(title="草稿清单", publisher_org_id=firm.id)
    published_list = DemandList(title="公开清单", publisher_org_id=firm.id, status="published")
    db.session.add_all([draft_list, published_list, invitation])
    db.session.commit()
    ids = dict(open=open_demand.id, draft=draft.id, bid=bid.id, draft_list=draft_list.id,
               published_list=published_list.id, provider_b_org=provider_b.id, invitation=invitation.id)
    return users, ids


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, db, world, role):
    users, ids = world
    failures = []
    client = app.test_client()
    if role != "anonymous":
        assert client.post("/login", data={"email": users[role].email, "password": TEST_PASSWORD}).status_code == 302
    for method, template, data, expected in MATRIX:
        url = template.format(**ids)
        payload = {k: v.format(**ids) for k, v in data.items()} if data else None
        response = client.open(url, method=method, data=payload)
        want = expected[role]
        got = response.status_code
        if want == LOGIN:
            ok = got == 302 and "/login" in response.headers.get("Location", "")
        elif want == 302:
            ok = got == 302 and "/login" not in response.headers.get("Location", "")
        else:
            ok = got == want
        if not ok:
            failures.append(f"{method} {url}: expected {want}, got {got}")
        _reset(db, ids)  # rows that change something are undone, so every row sees the same world
    assert not failures, "\n".join(failures)


def _reset(db, ids) -> None:
    """Undo what a successful change did, so the next row sees the same world."""
    import sqlalchemy as sa

    from marketplace.bids.models import Bid, Invitation
    from marketplace.demands.models import Demand, DemandList

    db.session.execute(sa.update(Demand).where(Demand.id == ids["open"]).values(status="open", cancel_reason="", version=1))
    db.session.execute(sa.update(Demand).where(Demand.id == ids["draft"]).values(status="draft"))
    db.session.execute(sa.update(Bid).where(Bid.id == ids["bid"]).values(status="submitted", version=1, decline_reason="", price=30))
    db.session.execute(sa.update(DemandList).where(DemandList.id == ids["draft_list"]).values(status="draft"))
    db.session.execute(sa.delete(Invitation).where(Invitation.id != ids["invitation"]))
    db.session.execute(sa.update(Invitation).values(status="pending", answered_at=None))
    db.session.execute(sa.update(Demand).where(Demand.id == ids["draft"]).values(list_id=None))
    db.session.commit()
    db.session.expire_all()


def test_detail_page_shows_bids_only_to_the_owner(app, db, world):
    users, ids = world
    for role, sees in (("owner", True), ("other_firm", False), ("provider_a", False), ("provider_b", False), ("bureau", False)):
        client = app.test_client()
        client.post("/login", data={"email": users[role].email, "password": TEST_PASSWORD})
        html = client.get(f"/demands/{ids['open']}").get_data(as_text=True)
        assert ('data-testid="bids-side-by-side"' in html) is sees, role
