"""Provider offerings and their case studies."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, link_table, state_check

if TYPE_CHECKING:
    from marketplace.orgs.models import Organisation
    from marketplace.taxonomy.models import TaxonomyTerm

OFFERING_STATUSES = ("draft", "published", "unpublished")


offering_industry = link_table("offering_industry", "offering", "taxonomy_term")
offering_chain = link_table("offering_chain", "offering", "taxonomy_term")
offering_stage = link_table("offering_stage", "offering", "taxonomy_term")
offering_scenario = link_table("offering_scenario", "offering", "taxonomy_term")
offering_voucher = link_table("offering_voucher", "offering", "taxonomy_term")
offering_deployment = link_table("offering_deployment", "offering", "taxonomy_term")


class Offering(TimestampMixin, Base):
    __tablename__ = "offering"
    __table_args__ = (
        state_check("status", OFFERING_STATUSES),
        sa.CheckConstraint("price_min IS NULL OR price_max IS NULL OR price_min <= price_max", name="price_order"),
        sa.CheckConstraint("price_min IS NULL OR price_min >= 0", name="price_min_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    capabilities: Mapped[str] = mapped_column(sa.Text, default="")
    # Price in 万元 (10,000 CNY).
    price_min: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(12, 2))
    price_max: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[datetime]] = mapped_column()
    # One-time token from the create form: a double-clicked submit makes one offering.
    submit_token: Mapped[Optional[str]] = mapped_column(sa.String(40), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    org: Mapped["Organisation"] = relationship()
    industries: Mapped[list["TaxonomyTerm"]] = relationship(secondary=offering_industry)
    chains: Mapped[list["TaxonomyTerm"]] = relationship(secondary=offering_chain)
    stages: Mapped[list["TaxonomyTerm"]] = relationship(secondary=offering_stage)
    scenarios: Mapped[list["TaxonomyTerm"]] = relationship(secondary=offering_scenario)
    vouchers: Mapped[list["TaxonomyTerm"]] = relationship(secondary=offering_voucher)
    deployments: Mapped[list["TaxonomyTerm"]] = relationship(secondary=offering_deployment)
    case_studies: Mapped[list["CaseStudy"]] = relationship(
        back_populates="offering", cascade="all, delete-orphan", order_by="CaseStudy.id"
    )

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def __repr__(self) -> str:
        return f"<Offering {self.id} {self.status} {self.title!r}>"


class CaseStudy(TimestampMixin, Base):
    __tablename__ = "case_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    client_name: Mapped[str] = mapped_column(sa.String(200), default="")
    client_industry_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"))
    problem: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[str] = mapped_column(sa.Text, default="")
    year: Mapped[Optional[int]] = mapped_column()
    # One-time token from the add form: a double-clicked submit makes one case study.
    submit_token: Mapped[Optional[str]] = mapped_column(sa.String(40), unique=True)

    offering: Mapped[Offering] = relationship(back_populates="case_studies")
    client_industry: Mapped[Optional["TaxonomyTerm"]] = relationship()
