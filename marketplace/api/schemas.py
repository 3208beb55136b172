"""Request and response shapes of API v1 (pydantic). They document the API (OpenAPI 3.1 is generated
from them) and check types and unknown fields; the business rules stay in the forms and services."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Amount = Optional[Decimal]
Code = str
MAX_LIST = 50


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- shared

class Problem(BaseModel):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None


class Term(BaseModel):
    code: str
    label: str = Field(description="In the requested language (Accept-Language: zh-CN or en).")
    label_zh: str
    label_en: str


class OrgRef(BaseModel):
    id: int
    name: str
    kind: str


class ListQuery(Strict):
    cursor: Optional[str] = Field(None, max_length=200, description="`next_cursor` of the previous page.")
    limit: int = Field(20, ge=1, le=100)


# ---------------------------------------------------------------- demands

class DemandQuery(ListQuery):
    q: Optional[str] = Field(None, max_length=200, description="Keywords, each must occur in title or description.")
    city: Optional[Code] = Field(None, max_length=40)
    industry: Optional[Code] = Field(None, max_length=40)
    chain: Optional[Code] = Field(None, max_length=40)
    stage: Optional[Code] = Field(None, max_length=40)
    scenario: Optional[Code] = Field(None, max_length=40)
    status: Optional[Literal["draft", "open", "awarded", "closed", "cancelled"]] = Field(
        None, description="Default: open. Drafts and cancelled demands are listed only to their firm.")
    sort: Literal["newest", "deadline", "budget"] = "newest"
    mine: bool = Field(False, description="Only your firm's demands (any status).")


class Demand(BaseModel):
    id: int
    title: str
    description: str
    status: str
    visibility: str
    org: OrgRef
    industry: Optional[Term]
    chain: Optional[Term]
    stage: Optional[Term]
    city: Optional[Term]
    scenarios: list[Term]
    vouchers: list[Term]
    budget_min: Optional[str] = Field(description="万元 (10,000 CNY), a decimal string.")
    budget_max: Optional[str]
    deadline: Optional[date]
    pool_id: Optional[int]
    list_id: Optional[int]
    cancel_reason: Optional[str]
    published_at: Optional[datetime]
    updated_at: datetime
    version: int
    is_demo: bool


class DemandPage(BaseModel):
    items: list[Demand]
    next_cursor: Optional[str]


class DemandFields(Strict):
    title: Optional[str] = Field(None, max_length=200)
    description: Optional[str] = Field(None, max_length=10000)
    industry: Optional[Code] = Field(None, max_length=40)
    chain: Optional[Code] = Field(None, max_length=40)
    stage: Optional[Code] = Field(None, max_length=40)
    city: Optional[Code] = Field(None, max_length=40)
    scenarios: Optional[list[Code]] = Field(None, max_length=MAX_LIST)
    vouchers: Optional[list[Code]] = Field(None, max_length=MAX_LIST)
    budget_min: Amount = Field(None, description="万元")
    budget_max: Amount = Field(None, description="万元")
    deadline: Optional[date] = None
    visibility: Optional[Literal["public", "pool"]] = None
    pool_id: Optional[int] = Field(None, ge=0, le=2**31 - 1)
    list_id: Optional[int] = Field(None, ge=0, le=2**31 - 1)


class DemandCreate(DemandFields):
    title: str = Field(max_length=200)
    description: str = Field(max_length=10000)
    industry: Code = Field(max_length=40)
    city: Code = Field(max_length=40)
    publish: bool = Field(False, description="Publish at once instead of saving a draft.")


class DemandUpdate(DemandFields):
    pass


class Reason(Strict):
    reason: str = Field(max_length=2000)


class Empty(Strict):
    pass


# ---------------------------------------------------------------- offerings

class Offering(BaseModel):
    id: int
    title: str
    summary: str
    description: str
    capabilities: str
    status: str
    org: OrgRef
    industries: list[Term]
    chains: list[Term]
    stages: list[Term]
    scenarios: list[Term]
    vouchers: list[Term]
    deployments: list[Term]
    price_min: Optional[str]
    price_max: Optional[str]
    case_studies: list[dict]
    published_at: Optional[datetime]
    version: int
    is_demo: bool


class OfferingPage(BaseModel):
    items: list[Offering]
    next_cursor: Optional[str]


class OfferingQuery(ListQuery):
    q: Optional[str] = Field(None, max_length=200)
    mine: bool = False


# ---------------------------------------------------------------- matches

class Match(BaseModel):
    score: float = Field(description="Calibrated probability of relevance, 0–1.")
    percent: int
    reasons: list[str] = Field(description="In the requested language.")
    demand_id: Optional[int] = None
    offering_id: Optional[int] = None
    title: str
    org: OrgRef


class MatchList(BaseModel):
    items: list[Match]


class MatchQuery(Strict):
    limit: int = Field(10, ge=1, le=50)


# ---------------------------------------------------------------- bids

class Bid(BaseModel):
    id: int
    demand_id: int
    demand_title: str
    provider: OrgRef
    offering_id: Optional[int]
    price: str = Field(description="万元, a decimal string.")
    duration_days: int
    approach: str
    status: str
    decline_reason: Optional[str]
    created_at: datetime
    updated_at: datetime
    version: int


class BidPage(BaseModel):
    items: list[Bid]
    next_cursor: Optional[str]


class BidQuery(ListQuery):
    status: Optional[Literal["submitted", "shortlisted", "awarded", "declined", "withdrawn"]] = None
    q: Optional[str] = Field(None, max_length=200)
    demand: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    sort: Literal["newest", "price", "duration"] = "newest"


class BidFields(Strict):
    offering_id: Optional[int] = Field(None, ge=0, le=2**31 - 1)
    price: Optional[Decimal] = Field(None, description="万元")
    duration_days: Optional[int] = Field(None, ge=-(2**31), le=2**31 - 1)
    approach: Optional[str] = Field(None, max_length=10000)


class BidCreate(BidFields):
    price: Decimal = Field(description="万元")
    duration_days: int = Field(ge=-(2**31), le=2**31 - 1)
    approach: str = Field(max_length=10000)


class BidUpdate(BidFields):
    pass


# ---------------------------------------------------------------- pools and applications

class Pool(BaseModel):
    id: int
    name: str
    status: str
    bureau: OrgRef
    city: Optional[Term]
    description: str
    criteria: str
    industries: list[Term]
    scenarios: list[Term]
    opens_on: Optional[date]
    closes_on: Optional[date]
    quota: Optional[int]
    version: int


class PoolPage(BaseModel):
    items: list[Pool]
    next_cursor: Optional[str]


class Application(BaseModel):
    id: int
    pool_id: int
    pool_name: str
    provider: OrgRef
    statement: str
    status: str
    total_score: Optional[str]
    decision_reason: Optional[str]
    batch: Optional[str]
    offering_ids: list[int]
    submitted_at: datetime
    decided_at: Optional[datetime]
    version: int


class ApplicationPage(BaseModel):
    items: list[Application]
    next_cursor: Optional[str]


class ApplicationQuery(ListQuery):
    status: Optional[str] = Field(None, max_length=20)


class ApplicationCreate(Strict):
    statement: str = Field(max_length=10000)
    offering_ids: list[int] = Field(default_factory=list, max_length=MAX_LIST)


class Decision(Strict):
    decision: Literal["admit", "reject"]
    reason: str = Field("", max_length=2000, description="Required when rejecting.")
    batch: str = Field("", max_length=80)


# ---------------------------------------------------------------- notifications and taxonomies

class Notification(BaseModel):
    id: int
    kind: str
    text: str = Field(description="In the requested language.")
    link: str
    read: bool
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: Optional[str]


class MarkedRead(BaseModel):
    marked: int


class NotificationQuery(ListQuery):
    unread: bool = False


class TermList(BaseModel):
    kind: str
    items: list[Term]


class TaxonomyKinds(BaseModel):
    kinds: list[str]
