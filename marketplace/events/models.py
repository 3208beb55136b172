"""Matchmaking events (供需对接活动): sessions cut into slots, registrations, the meetings the
matcher suggests, requests between participants, the schedule, and what came of each meeting."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, link_table, state_check

if TYPE_CHECKING:
    from marketplace.auth.models import User
    from marketplace.demands.models import Demand, DemandList
    from marketplace.offerings.models import Offering
    from marketplace.orgs.models import Organisation
    from marketplace.taxonomy.models import TaxonomyTerm

EVENT_STATUSES = ("draft", "published", "cancelled")
REGISTRATION_STATUSES = ("pending", "approved", "rejected", "cancelled")
REQUEST_STATUSES = ("requested", "accepted", "declined", "cancelled")
MEETING_STATUSES = ("scheduled", "held", "no_show")
SCHEDULING_MODES = ("pick", "auto")  # participants pick a slot when accepting, or the organiser schedules

event_chain = link_table("event_chain", "event", "taxonomy_term")
event_industry = link_table("event_industry", "event", "taxonomy_term")
event_scenario = link_table("event_scenario", "event", "taxonomy_term")
registration_demand = link_table("registration_demand", "event_registration", "demand",
                                 left_col="registration_id", right_col="demand_id")
registration_offering = link_table("registration_offering", "event_registration", "offering",
                                   left_col="registration_id", right_col="offering_id")
registration_session = link_table("registration_session", "event_registration", "event_session",
                                  left_col="registration_id", right_col="session_id")


class Event(TimestampMixin, Base):
    __tablename__ = "event"
    __table_args__ = (
        state_check("status", EVENT_STATUSES),
        state_check("scheduling", SCHEDULING_MODES),
        sa.CheckConstraint("tables > 0", name="tables_positive"),
        sa.CheckConstraint("booking_opens_on IS NULL OR booking_closes_on IS NULL OR booking_opens_on <= booking_closes_on",
                           name="booking_window_order"),
        # The form's one-time token: a double-click or a replayed submit finds the first event.
        sa.UniqueConstraint("bureau_org_id", "create_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    city_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("taxonomy_term.id"), index=True)
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    online: Mapped[bool] = mapped_column(default=False)
    event_date: Mapped[date] = mapped_column(index=True)
    registration_closes_on: Mapped[Optional[date]] = mapped_column()
    booking_opens_on: Mapped[Optional[date]] = mapped_column()
    booking_closes_on: Mapped[Optional[date]] = mapped_column()
    needs_approval: Mapped[bool] = mapped_column(default=False)
    tables: Mapped[int] = mapped_column(default=10)
    scheduling: Mapped[str] = mapped_column(sa.String(8), default="auto")
    demand_list_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("demand_list.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    schedule_published_at: Mapped[Optional[datetime]] = mapped_column()
    # The solver runs in a job: asked for at one time, done at another; the page says "scheduling…" in between.
    schedule_requested_at: Mapped[Optional[datetime]] = mapped_column()
    scheduled_at: Mapped[Optional[datetime]] = mapped_column()
    create_token: Mapped[Optional[str]] = mapped_column(sa.String(43))
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    bureau: Mapped["Organisation"] = relationship()
    city: Mapped[Optional["TaxonomyTerm"]] = relationship()
    demand_list: Mapped[Optional["DemandList"]] = relationship()
    chains: Mapped[list["TaxonomyTerm"]] = relationship(secondary=event_chain)
    industries: Mapped[list["TaxonomyTerm"]] = relationship(secondary=event_industry)
    scenarios: Mapped[list["TaxonomyTerm"]] = relationship(secondary=event_scenario)
    sessions: Mapped[list["EventSession"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventSession.starts_at")
    registrations: Mapped[list["Registration"]] = relationship(back_populates="event")

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.status} {self.title!r}>"


class EventSession(Base):
    """A block of the day (e.g. morning) cut into meeting slots of equal length."""

    __tablename__ = "event_session"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="time_order"),
        sa.CheckConstraint("slot_minutes >= 5 AND slot_minutes <= 240", name="slot_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_at: Mapped[datetime] = mapped_column()  # local time at the venue (Asia/Shanghai)
    ends_at: Mapped[datetime] = mapped_column()
    slot_minutes: Mapped[int] = mapped_column(default=20)

    event: Mapped[Event] = relationship(back_populates="sessions")
    slots: Mapped[list["EventSlot"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="EventSlot.starts_at")


class EventSlot(Base):
    __tablename__ = "event_slot"
    __table_args__ = (sa.UniqueConstraint("session_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("event_session.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()

    session: Mapped[EventSession] = relationship(back_populates="slots")


class Registration(TimestampMixin, Base):
    __tablename__ = "event_registration"
    __table_args__ = (
        state_check("status", REGISTRATION_STATUSES),
        sa.UniqueConstraint("event_id", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    registered_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(sa.Text, default="")  # what the organisation seeks or offers, in its words
    status: Mapped[str] = mapped_column(sa.String(12), default="pending", index=True)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    checkin_token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    checked_in_at: Mapped[Optional[datetime]] = mapped_column()
    booking_reminded_at: Mapped[Optional[datetime]] = mapped_column()  # last "book your meetings" reminder
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    event: Mapped[Event] = relationship(back_populates="registrations")
    org: Mapped["Organisation"] = relationship()
    registered_by: Mapped[Optional["User"]] = relationship()
    demands: Mapped[list["Demand"]] = relationship(secondary=registration_demand)
    offerings: Mapped[list["Offering"]] = relationship(secondary=registration_offering)
    sessions: Mapped[list[EventSession]] = relationship(secondary=registration_session)


class Suggestion(Base):
    """A counterpart the matcher proposes to a participant, computed by a job, read by pages."""

    __tablename__ = "event_suggestion"
    __table_args__ = (sa.UniqueConstraint("registration_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("event_registration.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(sa.ForeignKey("event_registration.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column()
    demand_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("demand.id", ondelete="CASCADE"))
    offering_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("offering.id", ondelete="CASCADE"))
    reasons_zh: Mapped[str] = mapped_column(sa.Text, default="")
    reasons_en: Mapped[str] = mapped_column(sa.Text, default="")
    computed_at: Mapped[datetime] = mapped_column()

    other: Mapped[Registration] = relationship(foreign_keys=[other_id])
    demand: Mapped[Optional["Demand"]] = relationship()
    offering: Mapped[Optional["Offering"]] = relationship()


class MeetingRequest(TimestampMixin, Base):
    __tablename__ = "event_meeting_request"
    __table_args__ = (
        state_check("status", REQUEST_STATUSES),
        sa.CheckConstraint("from_id <> to_id", name="not_self"),
        # One live request per pair and direction; a declined one may be asked again.
        sa.Index("uq_event_meeting_request_live", "from_id", "to_id", unique=True,
                 sqlite_where=sa.text("status IN ('requested', 'accepted')"),
                 postgresql_where=sa.text("status IN ('requested', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    from_id: Mapped[int] = mapped_column(sa.ForeignKey("event_registration.id", ondelete="CASCADE"), index=True)
    to_id: Mapped[int] = mapped_column(sa.ForeignKey("event_registration.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="requested", index=True)
    score: Mapped[float] = mapped_column(default=0.0)  # the matcher's score for the pair when asked
    from_suggestion: Mapped[bool] = mapped_column(default=False)
    unplaced_reason: Mapped[str] = mapped_column(sa.String(20), default="")  # why the last schedule run left it out
    decided_at: Mapped[Optional[datetime]] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    event: Mapped[Event] = relationship()
    sender: Mapped[Registration] = relationship(foreign_keys=[from_id])
    recipient: Mapped[Registration] = relationship(foreign_keys=[to_id])
    meeting: Mapped[Optional["Meeting"]] = relationship(back_populates="request", uselist=False)


class Meeting(TimestampMixin, Base):
    __tablename__ = "event_meeting"
    __table_args__ = (
        state_check("status", MEETING_STATUSES),
        sa.UniqueConstraint("slot_id", "table_no"),
        sa.CheckConstraint("table_no > 0", name="table_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("event_meeting_request.id", ondelete="CASCADE"), unique=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("event_slot.id", ondelete="CASCADE"), index=True)
    table_no: Mapped[int] = mapped_column()
    locked: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    request: Mapped[MeetingRequest] = relationship(back_populates="meeting")
    slot: Mapped[EventSlot] = relationship()
    feedback: Mapped[list["MeetingFeedback"]] = relationship(back_populates="meeting", cascade="all, delete-orphan")


class MeetingFeedback(TimestampMixin, Base):
    __tablename__ = "event_meeting_feedback"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "registration_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("event_meeting.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("event_registration.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column()
    follow_up: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="feedback")
