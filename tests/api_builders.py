"""Builders for the API tests: personal access tokens and a small world of firms, providers and a bureau."""
from __future__ import annotations

from dataclasses import dataclass

from marketplace.extensions import db
from tests.conftest import make_bid, make_demand, make_offering, make_org, make_pool, make_user


def token_for(user, scopes=("read", "write")) -> dict:
    """Authorization headers for a new token of `user` with `scopes`."""
    from marketplace.api.tokens import create_token

    _token, secret = create_token(user, "test", list(scopes))
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class World:
    firm: object
    firm_user: object
    other_firm: object
    other_firm_user: object
    provider: object
    provider_user: object
    other_provider: object
    other_provider_user: object
    bureau: object
    bureau_user: object
    open_demand: object
    draft: object
    other_draft: object
    offering: object
    bid: object
    other_bid: object
    pool: object


def world() -> World:
    firm, other_firm = make_org("manufacturer"), make_org("manufacturer")
    provider, other_provider = make_org("provider", city="jinan"), make_org("provider", city="jinan")
    bureau = make_org("bureau", city="zibo")
    users = [make_user(org) for org in (firm, other_firm, provider, other_provider, bureau)]
    open_demand = make_demand(firm, title="铸件缺陷检测")
    draft = make_demand(firm, title="草稿需求", status="draft")
    other_draft = make_demand(other_firm, title="别家的草稿", status="draft")
    offering = make_offering(provider)
    make_offering(other_provider, title="预测性维护")
    bid = make_bid(open_demand, provider, offering)
    other_bid = make_bid(open_demand, other_provider)
    pool = make_pool(bureau)
    db.session.commit()
    return World(firm, users[0], other_firm, users[1], provider, users[2], other_provider, users[3], bureau, users[4],
                 open_demand, draft, other_draft, offering, bid, other_bid, pool)
