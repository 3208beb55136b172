"""Taxonomies and demo data from seeds/, loaded idempotently.

`load_taxonomies` and `load_demo` only add and flush; the `flask seed` command commits once.
Every row is found by its natural key before it is created (taxonomy terms by kind and code,
organisations by credit code or name, users by email, demands/offerings/pools/lists by owner
and title, applications and bids by pool/demand and provider, reviews by bid), so loading
twice changes nothing. Existing rows are never overwritten: whatever people changed through
the app survives a re-seed. Demo rows carry is_demo=True and every demo organisation's name
ends with "（演示）".
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from marketplace.auth.models import User
from marketplace.bids.models import Bid, Review
from marketplace.demands.models import Demand, DemandList
from marketplace.offerings.models import CaseStudy, Offering
from marketplace.orgs.models import Organisation
from marketplace.pools.models import ApplicationScore, Pool, PoolApplication, RubricItem
from marketplace.taxonomy.models import TaxonomyTerm
from marketplace.vouchers.demo import load_demo_vouchers

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
TAXONOMY_DIR = SEEDS_DIR / "taxonomies"
DEMO_DIR = SEEDS_DIR / "demo"

# The one password every demo account shares (listed in the README with the demo logins).
DEMO_PASSWORD = "shandong-demo-2026"

DEMO_FILES = ("organisations", "demand_lists", "pools", "offerings", "demands", "bids", "reviews")


class SeedError(ValueError):
    """The seed files refer to something that does not exist."""


def load_taxonomies(session, folder: Path | str | None = None) -> int:
    """Insert or update every taxonomy term (idempotent by kind and code); returns how many were added."""
    from marketplace.taxonomy.services import load_taxonomy_files

    return load_taxonomy_files(session, folder or TAXONOMY_DIR)


def read_demo_files(folder: Path | str | None = None) -> dict[str, list[dict]]:
    folder = Path(folder or DEMO_DIR)
    return {name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8")) for name in DEMO_FILES}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _moment(value: str | None, hour: int = 9) -> datetime | None:
    """A demo date as a naive UTC timestamp (09:00 UTC = 17:00 in Shandong)."""
    return datetime.combine(date.fromisoformat(value), time(hour)) if value else None


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class _Loader:
    def __init__(self, session, data: dict[str, list[dict]]) -> None:
        self.session = session
        self.data = data
        self.created: Counter[str] = Counter()
        self.terms = {(t.kind, t.code): t for t in session.scalars(sa.select(TaxonomyTerm))}
        self.orgs: dict[str, Organisation] = {}
        self.owners: dict[str, User | None] = {}
        self.lists: dict[str, DemandList] = {}
        self.pools: dict[str, Pool] = {}
        self.offerings: dict[str, Offering] = {}
        self.demands: dict[str, Demand] = {}
        self._password_hash: str | None = None

    # ------------------------------------------------------------ helpers
    def term(self, kind: str, code: str | None) -> TaxonomyTerm | None:
        if not code:
            return None
        found = self.terms.get((kind, code))
        if found is None:
            raise SeedError(f"unknown {kind} code {code!r}; load the taxonomies first")
        return found

    def term_id(self, kind: str, code: str | None) -> int | None:
        found = self.term(kind, code)
        return found.id if found else None

    def term_list(self, kind: str, codes) -> list[TaxonomyTerm]:
        return [self.term(kind, code) for code in codes or ()]

    def ref(self, table: dict, key: str | None, what: str):
        if key is None:
            return None
        try:
            return table[key]
        except KeyError:
            raise SeedError(f"unknown {what} key {key!r}") from None

    def password_hash(self) -> str:
        # argon2id is deliberately slow: hash the shared demo password once per load.
        if self._password_hash is None:
            from marketplace.auth.passwords import hash_password

            self._password_hash = hash_password(DEMO_PASSWORD)
        return self._password_hash

    def add(self, obj, kind: str):
        self.session.add(obj)
        self.created[kind] += 1
        return obj

    # ------------------------------------------------------------ organisations and users
    def load_orgs(self) -> None:
        for entry in self.data["organisations"]:
            org = None
            if entry.get("credit_code"):
                org = self.session.scalar(sa.select(Organisation).where(Organisation.credit_code == entry["credit_code"]))
            if org is None:
                org = self.session.scalar(
                    sa.select(Organisation).where(Organisation.name == entry["name"], Organisation.kind == entry["kind"])
                )
            if org is None:
                org = self.add(Organisation(
                    kind=entry["kind"], name=entry["name"], credit_code=entry.get("credit_code"),
                    city_id=self.term_id("city", entry.get("city")),
                    industry_id=self.term_id("industry", entry.get("industry")),
                    size=entry.get("size"), verified=bool(entry.get("verified")), is_demo=True,
                    intro=entry.get("intro", ""), capabilities=entry.get("capabilities", ""),
                    certifications=entry.get("certifications", ""), contact_name=entry.get("contact_name", ""),
                    contact_phone=entry.get("contact_phone", ""), contact_email=entry.get("contact_email", ""),
                    website=entry.get("website", ""),
                ), "organisations")
                org.service_cities = self.term_list("city", entry.get("service_cities"))
                self.session.flush()
            self.orgs[entry["key"]] = org
            owner = None
            for u in entry.get("users", []):
                email = u["email"].strip().lower()
                user = self.session.scalar(sa.select(User).where(User.email == email))
                if user is None:
                    user = self.add(User(
                        email=email, name=u["name"], password_hash=self.password_hash(), org=org,
                        org_role=u.get("org_role", "member"), is_admin=bool(u.get("is_admin")),
                    ), "users")
                if owner is None and u.get("org_role") == "owner":
                    owner = user
            self.owners[entry["key"]] = owner
        self.session.flush()

    def owner_id(self, org_key: str) -> int | None:
        owner = self.owners.get(org_key)
        return owner.id if owner else None

    # ------------------------------------------------------------ demand lists
    def load_lists(self) -> None:
        for entry in self.data["demand_lists"]:
            publisher = self.ref(self.orgs, entry["publisher"], "organisation")
            found = self.session.scalar(sa.select(DemandList).where(
                DemandList.publisher_org_id == publisher.id, DemandList.title == entry["title"]))
            if found is None:
                found = self.add(DemandList(
                    title=entry["title"], description=entry.get("description", ""), publisher_org_id=publisher.id,
                    chain_id=self.term_id("chain", entry.get("chain")), city_id=self.term_id("city", entry.get("city")),
                    status=entry.get("status", "draft"), is_demo=True,
                    published_at=_moment(entry.get("published_on")) if entry.get("status") == "published" else None,
                    created_by_id=self.owner_id(entry["publisher"]),
                ), "demand_lists")
                if entry.get("published_on"):
                    found.created_at = _moment(entry["published_on"], 2)
            self.lists[entry["key"]] = found
        self.session.flush()

    # ------------------------------------------------------------ pools (without applications)
    def load_pools(self) -> None:
        for entry in self.data["pools"]:
            bureau = self.ref(self.orgs, entry["bureau"], "organisation")
            pool = self.session.scalar(sa.select(Pool).where(Pool.bureau_org_id == bureau.id, Pool.name == entry["name"]))
            if pool is None:
                pool = self.add(Pool(
                    bureau_org_id=bureau.id, name=entry["name"], city_id=self.term_id("city", entry.get("city")),
                    description=entry.get("description", ""), criteria=entry.get("criteria", ""),
                    opens_on=_day(entry.get("opens_on")), closes_on=_day(entry.get("closes_on")),
                    quota=entry.get("quota"), status=entry.get("status", "draft"),
                    notice_text=entry.get("notice_text", "") or "",
                    notice_starts_on=_day(entry.get("notice_starts_on")), notice_ends_on=_day(entry.get("notice_ends_on")),
                    recheck_months=entry.get("recheck_months"), is_demo=True,
                ), "pools")
                pool.industries = self.term_list("industry", entry.get("industries"))
                pool.scenarios = self.term_list("scenario", entry.get("scenarios"))
                pool.rubric_items = [
                    RubricItem(name=r["name"], description=r.get("description", ""), max_points=r["max_points"],
                               sort_order=i + 1)
                    for i, r in enumerate(entry.get("rubric", []))
                ]
                if entry.get("opens_on"):
                    pool.created_at = _moment(entry["opens_on"], 1)
            self.pools[entry["key"]] = pool
        self.session.flush()

    # ------------------------------------------------------------ offerings
    def load_offerings(self) -> None:
        for entry in self.data["offerings"]:
            org = self.ref(self.orgs, entry["org"], "organisation")
            if org.kind != "provider":
                raise SeedError(f"offering {entry['key']!r} belongs to a {org.kind}, not a provider")
            offering = self.session.scalar(sa.select(Offering).where(Offering.org_id == org.id, Offering.title == entry["title"]))
            if offering is None:
                status = entry.get("status", "draft")
                published = _moment(entry.get("published_on")) if status != "draft" else None
                offering = self.add(Offering(
                    org_id=org.id, title=entry["title"], summary=entry.get("summary", ""),
                    description=entry.get("description", ""), capabilities=entry.get("capabilities", ""),
                    price_min=_money(entry.get("price_min")), price_max=_money(entry.get("price_max")),
                    status=status, is_demo=True, published_at=published,
                ), "offerings")
                if published:
                    offering.created_at = published
                offering.industries = self.term_list("industry", entry.get("industries"))
                offering.chains = self.term_list("chain", entry.get("chains"))
                offering.stages = self.term_list("stage", entry.get("stages"))
                offering.scenarios = self.term_list("scenario", entry.get("scenarios"))
                offering.vouchers = self.term_list("voucher", entry.get("vouchers"))
                offering.deployments = self.term_list("deployment", entry.get("deployments"))
                for case in entry.get("case_studies", []):
                    offering.case_studies.append(CaseStudy(
                        title=case["title"], client_name=case.get("client_name", ""),
                        client_industry_id=self.term_id("industry", case.get("client_industry")),
                        problem=case.get("problem", ""), result=case.get("result", ""), year=case.get("year"),
                    ))
                    self.created["case_studies"] += 1
            self.offerings[entry["key"]] = offering
        self.session.flush()

    # ------------------------------------------------------------ demands
    def load_demands(self) -> None:
        for entry in self.data["demands"]:
            org = self.ref(self.orgs, entry["org"], "organisation")
            if org.kind != "manufacturer":
                raise SeedError(f"demand {entry['key']!r} belongs to a {org.kind}, not a manufacturer")
            demand = self.session.scalar(sa.select(Demand).where(Demand.org_id == org.id, Demand.title == entry["title"]))
            if demand is None:
                demand_list = self.ref(self.lists, entry.get("list"), "demand list")
                pool = self.ref(self.pools, entry.get("pool"), "pool")
                # A chain list entered by the bureau on a firm's behalf awaits the firm's confirmation.
                if not entry.get("owner_confirmed", True) and demand_list is not None:
                    created_by = self.owner_id(self._key_of(demand_list.publisher_org_id))
                else:
                    created_by = self.owner_id(entry["org"])
                status = entry.get("status", "draft")
                published = _moment(entry.get("published_on")) if status != "draft" else None
                demand = self.add(Demand(
                    org_id=org.id, owner_confirmed=entry.get("owner_confirmed", True),
                    list_id=demand_list.id if demand_list else None, title=entry["title"],
                    description=entry.get("description", ""),
                    industry_id=self.term_id("industry", entry.get("industry")),
                    chain_id=self.term_id("chain", entry.get("chain")),
                    stage_id=self.term_id("stage", entry.get("stage")),
                    city_id=self.term_id("city", entry.get("city")),
                    budget_min=_money(entry.get("budget_min")), budget_max=_money(entry.get("budget_max")),
                    deadline=_day(entry.get("deadline")), visibility=entry.get("visibility", "public"),
                    pool_id=pool.id if pool else None, status=status, cancel_reason=entry.get("cancel_reason", "") or "",
                    is_demo=True, published_at=published,
                    closed_at=_moment(entry.get("closed_on")) if status == "closed" else None,
                    created_by_id=created_by,
                ), "demands")
                if published:
                    demand.created_at = published
                demand.scenarios = self.term_list("scenario", entry.get("scenarios"))
                demand.vouchers = self.term_list("voucher", entry.get("vouchers"))
            self.demands[entry["key"]] = demand
        self.session.flush()

    def _key_of(self, org_id: int) -> str:
        for key, org in self.orgs.items():
            if org.id == org_id:
                return key
        raise SeedError(f"organisation {org_id} is not in the seed files")

    # ------------------------------------------------------------ pool applications
    def load_applications(self) -> None:
        for entry in self.data["pools"]:
            pool = self.pools[entry["key"]]
            rubric = {item.name: item for item in pool.rubric_items}
            bureau_user = self.owner_id(entry["bureau"])
            for a in entry.get("applications", []):
                provider = self.ref(self.orgs, a["provider"], "organisation")
                exists = self.session.scalar(sa.select(PoolApplication.id).where(
                    PoolApplication.pool_id == pool.id, PoolApplication.provider_org_id == provider.id))
                if exists is not None:
                    continue
                offerings = [self.ref(self.offerings, k, "offering") for k in a.get("offerings", [])]
                for offering in offerings:
                    if offering.org_id != provider.id:
                        raise SeedError(f"application of {a['provider']!r} lists another provider's offering")
                status = a.get("status", "submitted")
                decided = status in ("admitted", "rejected")
                application = self.add(PoolApplication(
                    pool_id=pool.id, provider_org_id=provider.id, statement=a.get("statement", ""), status=status,
                    decision_reason=a.get("decision_reason", "") or "", batch=a.get("batch"),
                    submitted_at=_moment(a.get("submitted_on")) or datetime(2026, 11, 1, 9),
                    decided_at=_moment(a.get("decided_on")) if decided else None,
                    decided_by_id=bureau_user if decided else None,
                    last_checked_on=_day(a.get("decided_on")) if status == "admitted" else None,
                    is_demo=True,
                ), "pool_applications")
                application.offerings = offerings
                total = Decimal(0)
                for name, points in (a.get("scores") or {}).items():
                    item = rubric.get(name)
                    if item is None:
                        raise SeedError(f"pool {entry['key']!r} has no rubric item {name!r}")
                    if not 0 <= points <= item.max_points:
                        raise SeedError(f"score {points} for {name!r} is outside 0..{item.max_points}")
                    application.scores.append(ApplicationScore(
                        rubric_item=item, points=Decimal(str(points)), scored_by_id=bureau_user,
                        scored_at=application.decided_at or datetime(2026, 11, 20, 9),
                    ))
                    total += Decimal(str(points))
                application.total_score = total if a.get("scores") else None
                self.session.flush()
                self.audit_application(application, a, bureau_user)
        self.session.flush()

    def audit_application(self, application: PoolApplication, entry: dict, bureau_user: int | None) -> None:
        """The history a real application would have, so the demo's audit log and timelines are not empty."""
        from marketplace.audit.models import AuditEvent

        provider_user = self.owner_id(entry["provider"])
        events = [("application.submitted", provider_user, application.submitted_at, {"pool_id": application.pool_id})]
        if application.status in ("admitted", "rejected"):
            detail = {"pool_id": application.pool_id, "batch": application.batch or "", "reason": application.decision_reason}
            events.append((f"application.{application.status}", bureau_user, application.decided_at, detail))
        for action, actor_id, when, detail in events:
            actor = self.session.get(User, actor_id) if actor_id else None
            self.session.add(AuditEvent(
                actor_user_id=actor_id, actor_org_id=actor.org_id if actor else None, action=action,
                object_type="pool_application", object_id=application.id, detail={**detail, "demo": True},
                created_at=when or datetime(2026, 11, 1, 9),
            ))

    # ------------------------------------------------------------ bids and reviews
    def load_bids(self) -> None:
        for entry in self.data["bids"]:
            demand = self.ref(self.demands, entry["demand"], "demand")
            provider = self.ref(self.orgs, entry["provider"], "organisation")
            offering = self.ref(self.offerings, entry.get("offering"), "offering")
            if offering is not None and offering.org_id != provider.id:
                raise SeedError(f"bid of {entry['provider']!r} names another provider's offering")
            if entry.get("status") == "awarded" and demand.status not in ("awarded", "closed"):
                raise SeedError(f"awarded bid on demand {entry['demand']!r} whose status is {demand.status!r}")
            exists = self.session.scalar(sa.select(Bid.id).where(
                Bid.demand_id == demand.id, Bid.provider_org_id == provider.id))
            if exists is not None:
                continue
            bid = self.add(Bid(
                demand_id=demand.id, provider_org_id=provider.id, offering_id=offering.id if offering else None,
                price=_money(entry["price"]), duration_days=entry["duration_days"], approach=entry.get("approach", ""),
                status=entry.get("status", "submitted"), decline_reason=entry.get("decline_reason", "") or "",
                submitted_by_id=self.owner_id(entry["provider"]), is_demo=True,
            ), "bids")
            if demand.published_at:
                bid.created_at = min(demand.published_at.replace(hour=12), datetime(2026, 11, 23, 9))
            self.session.flush()

    def load_reviews(self) -> None:
        for entry in self.data["reviews"]:
            demand = self.ref(self.demands, entry["demand"], "demand")
            provider = self.ref(self.orgs, entry["provider"], "organisation")
            bid = self.session.scalar(sa.select(Bid).where(
                Bid.demand_id == demand.id, Bid.provider_org_id == provider.id, Bid.status == "awarded"))
            if bid is None:
                raise SeedError(f"review of {entry['provider']!r} on {entry['demand']!r} has no awarded bid")
            if demand.status != "closed":
                raise SeedError(f"review on demand {entry['demand']!r} which is not closed")
            if self.session.scalar(sa.select(Review.id).where(Review.bid_id == bid.id)) is not None:
                continue
            self.add(Review(
                bid_id=bid.id, demand_id=demand.id, provider_org_id=provider.id, reviewer_org_id=demand.org_id,
                reviewer_user_id=self.owner_id(self._key_of(demand.org_id)), rating=entry["rating"],
                comment=entry.get("comment", ""), is_demo=True,
                created_at=demand.closed_at or datetime(2026, 11, 1, 9),
            ), "reviews")
        self.session.flush()

    def run(self) -> Counter[str]:
        self.load_orgs()
        self.load_lists()
        self.load_pools()
        self.load_offerings()
        self.load_demands()
        self.load_applications()
        from marketplace.pools.demo import load_notices  # the pools area's kept notices (公示)

        load_notices(self)
        self.load_bids()
        self.load_reviews()
        from marketplace.questions.seeding import load_questions  # the Q&A area's demo questions

        load_questions(self)
        self.created.update(load_demo_vouchers(self.session, DEMO_DIR, self.orgs, self.demands, self.pools))
        return self.created


def load_demo(session, folder: Path | str | None = None) -> dict[str, int]:
    """Add the demo organisations, users, lists, pools, offerings, demands, bids and reviews.

    The taxonomies must be loaded first. Returns how many rows of each kind were created
    (all zero when the demo data is already there)."""
    from marketplace.events.demo import load_events

    loader = _Loader(session, read_demo_files(folder))
    created = loader.run()
    created.update(load_events(session, Path(folder or DEMO_DIR), loader.orgs, loader.demands, loader.offerings,
                               loader.lists))
    return dict(created)


@click.command("seed")
@click.option("--no-demo", is_flag=True, help="Load the taxonomies only, without the demo data.")
@click.option("--if-empty", is_flag=True, help="Load the demo data only into a database without organisations.")
@with_appcontext
def seed_command(no_demo: bool, if_empty: bool) -> None:
    """Load the taxonomies and the demo data from seeds/ (safe to run again)."""
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.orgs.models import Organisation

    if if_empty and db.session.scalar(sa.select(sa.func.count(Organisation.id))):
        no_demo = True
        click.echo("The database already has organisations; demo data not loaded.")
    added_terms = load_taxonomies(db.session)
    created = {} if no_demo else load_demo(db.session)
    db.session.commit()
    click.echo(f"Taxonomy terms added: {added_terms}.")
    if not no_demo:
        if any(created.values()):
            click.echo("Demo data added: " + ", ".join(f"{k} {v}" for k, v in sorted(created.items()) if v) + ".")
        else:
            click.echo("Demo data already present; nothing added.")
        click.echo(f"Demo accounts share the password: {DEMO_PASSWORD}")
