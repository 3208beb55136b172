"""Organisations: manufacturers, providers and bureaus."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, link_table, state_check

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.taxonomy.models import TaxonomyTerm

ORG_KINDS = ("manufacturer", "provider", "bureau", "operator")
ORG_SIZES = ("micro", "small", "medium", "large")

org_service_city = link_table("org_service_city", "organisation", "taxonomy_term", left_col="org_id")


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisation"
    __table_args__ = (
        state_check("kind", ORG_KINDS),
        sa.CheckConstraint("size IS NULL OR size IN ('micro', 'small', 'medium', 'large')", name="size_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # 统一社会信用代码 (GB 32100-2015); bureaus and the operator may leave it empty.
    credit_code: Mapped[Optional[str]] = mapped_column(sa.String(18), unique=True)
    city_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    industry_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    size: Mapped[Optional[str]] = mapped_column(sa.String(10))
    verified: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Profile (mostly for providers)
    intro: Mapped[str] = mapped_column(sa.Text, default="")
    capabilities: Mapped[str] = mapped_column(sa.Text, default="")
    certifications: Mapped[str] = mapped_column(sa.Text, default="")
    contact_name: Mapped[str] = mapped_column(sa.String(80), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")

    city: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[city_id])
    industry: Mapped[Optional["TaxonomyTerm"]] = relationship(foreign_keys=[industry_id])
    service_cities: Mapped[list["TaxonomyTerm"]] = relationship(secondary=org_service_city)
    users: Mapped[list["User"]] = relationship(back_populates="org", order_by="User.id")

    @property
    def is_manufacturer(self) -> bool:
        return self.kind == "manufacturer"

    @property
    def is_provider(self) -> bool:
        return self.kind == "provider"

    @property
    def is_bureau(self) -> bool:
        return self.kind == "bureau"

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"
