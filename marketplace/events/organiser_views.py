"""Events, organiser's side (the bureau that runs the event, or an admin): create and edit,
publish or cancel, approve registrations, schedule, check in, mark meetings."""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from marketplace.demands.models import DemandList
from marketplace.events import queries, services
from marketplace.events.forms import CancelForm, CheckinForm, DecisionForm, EventForm, MoveForm
from marketplace.events.models import Event, Meeting, Registration
from marketplace.events.scheduler import NO_SHARED_SLOT, NOT_REACHED, PARTICIPANT_BUSY, TABLES_FULL
from marketplace.events.services import EventError
from marketplace.events.views import attempt, bp, get_event_or_404, is_organiser, show_error
from marketplace.db import utc_now
from marketplace.extensions import db
from marketplace.jobs import enqueue
from marketplace.pagination import paginate
from marketplace.taxonomy.services import NONE, term_choices

UNPLACED_REASONS = {
    NO_SHARED_SLOT: _l("The two attend no session in common."),
    PARTICIPANT_BUSY: _l("One of the two is already in a meeting in every slot they share."),
    TABLES_FULL: _l("Every table is taken in the slots they share."),
    NOT_REACHED: _l("The solver ran out of time before placing it; run the schedule again."),
}


def _require_bureau() -> None:
    if not current_user.is_authenticated or not (current_user.is_admin or (
            current_user.org is not None and current_user.org.kind == "bureau")):
        abort(403)


def organised_event_or_404(event_id: int) -> Event:
    event = get_event_or_404(event_id)
    if not is_organiser(event):
        abort(404 if event.status == "draft" else 403)
    return event


def _event_form(event: Event | None = None) -> EventForm:
    form = EventForm(obj=event) if request.method == "GET" and event is not None else EventForm()
    form.city_id.choices = term_choices("city", blank=NONE)
    form.chain_ids.choices = term_choices("chain")
    form.industry_ids.choices = term_choices("industry")
    form.scenario_ids.choices = term_choices("scenario")
    org_id = event.bureau_org_id if event else current_user.org_id
    form.demand_list_id.choices = [(0, _("None"))] + [(dl.id, dl.title) for dl in db.session.scalars(
        sa.select(DemandList).where(DemandList.publisher_org_id == org_id).order_by(DemandList.title))]
    if request.method == "GET":
        if event is not None:
            form.chain_ids.data = [t.id for t in event.chains]
            form.industry_ids.data = [t.id for t in event.industries]
            form.scenario_ids.data = [t.id for t in event.scenarios]
            form.demand_list_id.data = event.demand_list_id or 0
            form.version.data = event.version
            for row, session in zip(form.sessions, event.sessions):
                row.form.name.data, row.form.slot_minutes.data = session.name, session.slot_minutes
                row.form.starts_at.data, row.form.ends_at.data = session.starts_at.time(), session.ends_at.time()
        else:
            form.city_id.data = current_user.org.city_id if current_user.org else None
            form.create_token.data = secrets.token_urlsafe(32)
            defaults = [(_("Morning"), 9, 12), (_("Afternoon"), 14, 17)]
            from datetime import time

            for row, (name, start, end) in zip(form.sessions, defaults):
                row.form.name.data, row.form.starts_at.data, row.form.ends_at.data = name, time(start), time(end)
    return form


@bp.get("/manage")
@login_required
def manage():
    _require_bureau()
    query = sa.select(Event).order_by(Event.event_date.desc(), Event.id.desc()) if current_user.is_admin \
        else queries.bureau_events(current_user.org_id)
    page = paginate(query)
    from marketplace.events.views import STAGE_LABELS

    return render_template("events/manage.html", page=page, funnels=queries.funnels(page.items),
                           stages=[(code, str(STAGE_LABELS[code])) for code in queries.STAGES])


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_bureau()
    if current_user.org is None or current_user.org.kind != "bureau":
        abort(403)
    form = _event_form()
    status = 200
    if form.validate_on_submit():
        token = form.create_token.data or None
        existing = token and db.session.scalar(sa.select(Event).where(
            Event.bureau_org_id == current_user.org_id, Event.create_token == token))
        if existing:
            flash(_("This event was already created; here it is."), "info")
            return redirect(url_for("events.detail", event_id=existing.id))
        try:
            event = services.create_event(current_user.org, current_user, form.data_dict(), form.session_rows())
            event.create_token = token
            db.session.flush()
            db.session.commit()
        except EventError as error:
            db.session.rollback()
            show_error(error, form)
            status = error.status
        except IntegrityError:  # the same form sent twice at once: the first one won
            db.session.rollback()
            existing = db.session.scalar(sa.select(Event).where(Event.bureau_org_id == current_user.org_id,
                                                                Event.create_token == token))
            if existing is None:
                raise
            return redirect(url_for("events.detail", event_id=existing.id))
        else:
            flash(_("The event was saved as a draft. Publish it when the programme is ready."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    elif request.method == "POST":
        status = 422
    return render_template("events/form.html", form=form, event=None), status


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = organised_event_or_404(event_id)
    form = _event_form(event)
    status = 200
    if form.validate_on_submit():
        try:
            services.check_version(event, form.version.data)
            services.update_event(event, form.data_dict(), form.session_rows())
            db.session.commit()
        except EventError as error:
            db.session.rollback()
            show_error(error, form)
            status = error.status
        else:
            flash(_("The event was saved."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
    elif request.method == "POST":
        status = 422
    return render_template("events/form.html", form=form, event=event), status


@bp.post("/<int:event_id>/publish")
@login_required
def publish(event_id: int):
    event = organised_event_or_404(event_id)
    attempt(lambda: services.publish_event(event), _("The event is published: firms and providers can register."))
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    event = organised_event_or_404(event_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_event(event, form.reason.data)
            db.session.commit()
            flash(_("The event was cancelled and the participants were told."), "success")
            return redirect(url_for("events.detail", event_id=event.id))
        except EventError as error:
            db.session.rollback()
            show_error(error, form)
    return render_template("events/cancel.html", event=event, form=form), 422 if request.method == "POST" else 200


@bp.get("/<int:event_id>/registrations")
@login_required
def registrations(event_id: int):
    event = organised_event_or_404(event_id)
    rows = queries.participants(event.id, status=None)
    return render_template("events/registrations.html", event=event, rows=rows, form=DecisionForm(),
                           checkin_form=CheckinForm())


@bp.post("/registrations/<int:registration_id>/decide")
@login_required
def decide(registration_id: int):
    registration = db.session.get(Registration, registration_id) or abort(404)
    organised_event_or_404(registration.event_id)
    form = DecisionForm()
    attempt(lambda: services.decide_registration(registration, approve=bool(form.approve.data), reason=form.reason.data or ""),
            _("The registration was decided and the organisation told."))
    return redirect(url_for("events.registrations", event_id=registration.event_id))


@bp.get("/<int:event_id>/schedule")
@login_required
def schedule(event_id: int):
    event = organised_event_or_404(event_id)
    meetings = queries.meetings_of_event(event.id)
    move_forms = {}
    slot_choices = [(slot.id, f"{session.name} {slot.starts_at:%H:%M}") for session in event.sessions for slot in session.slots]
    for meeting in meetings:
        form = MoveForm(prefix=f"m{meeting.id}")
        form.slot_id.choices = slot_choices
        form.slot_id.data, form.table_no.data, form.version.data = meeting.slot_id, meeting.table_no, meeting.version
        move_forms[meeting.id] = form
    return render_template("events/schedule.html", event=event, meetings=meetings, move_forms=move_forms,
                           sessions=queries.sessions_with_slots(event.id), unplaced=_last_unplaced(event),
                           reasons={k: str(v) for k, v in UNPLACED_REASONS.items()}, scheduling=scheduling(event))


def _last_unplaced(event: Event) -> list:
    """Accepted requests without a meeting: what the organiser still has to place."""
    from marketplace.events.models import MeetingRequest
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(
        sa.select(MeetingRequest).outerjoin(Meeting).where(MeetingRequest.event_id == event.id,
                                                           MeetingRequest.status == "accepted", Meeting.id.is_(None))
        .options(selectinload(MeetingRequest.sender).selectinload(Registration.org),
                 selectinload(MeetingRequest.recipient).selectinload(Registration.org))))


@bp.post("/<int:event_id>/schedule/run")
@login_required
def run_schedule(event_id: int):
    event = organised_event_or_404(event_id)
    if scheduling(event):
        flash(_("The schedule is already being computed."), "info")
        return redirect(url_for("events.schedule", event_id=event.id))
    event.schedule_requested_at = utc_now()
    enqueue("events.schedule", event_id=event.id, started_by=current_user.id)
    db.session.commit()
    flash(_("The schedule is being computed; this page shows it when it is ready."), "info")
    return redirect(url_for("events.schedule", event_id=event.id))


def scheduling(event: Event) -> bool:
    return event.schedule_requested_at is not None and (
        event.scheduled_at is None or event.scheduled_at < event.schedule_requested_at)


@bp.post("/meetings/<int:meeting_id>/move")
@login_required
def move(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    event = organised_event_or_404(meeting.request.event_id)
    form = MoveForm(prefix=f"m{meeting.id}")
    form.slot_id.choices = [(slot.id, "") for session in event.sessions for slot in session.slots]
    if not form.validate_on_submit():
        flash(_("Choose a slot and a table."), "danger")
        return redirect(url_for("events.schedule", event_id=event.id))
    error = attempt(lambda: services.move_meeting(meeting, form.slot_id.data, form.table_no.data, form.version.data),
                    _("The meeting was moved and locked."))
    if error is not None and error.status == 409:
        return render_schedule_conflict(event)
    return redirect(url_for("events.schedule", event_id=event.id))


def render_schedule_conflict(event: Event):
    response = schedule(event.id)
    return response, 409


@bp.post("/meetings/<int:meeting_id>/lock")
@login_required
def lock(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    organised_event_or_404(meeting.request.event_id)
    services.set_locked(meeting, not meeting.locked)
    db.session.commit()
    return redirect(url_for("events.schedule", event_id=meeting.request.event_id))


@bp.post("/meetings/<int:meeting_id>/mark/<status>")
@login_required
def mark(meeting_id: int, status: str):
    meeting = db.session.get(Meeting, meeting_id) or abort(404)
    organised_event_or_404(meeting.request.event_id)
    attempt(lambda: services.mark_meeting(meeting, status))
    return redirect(url_for("events.schedule", event_id=meeting.request.event_id))


@bp.post("/<int:event_id>/schedule/publish")
@login_required
def publish_schedule(event_id: int):
    event = organised_event_or_404(event_id)
    try:
        count = services.publish_schedule(event)
        db.session.commit()
        flash(_("The schedule of %(n)d meetings is published; participants can download their agendas.", n=count),
              "success")
    except EventError as error:
        db.session.rollback()
        show_error(error)
    return redirect(url_for("events.schedule", event_id=event.id))


def _check_in(registration: Registration | None, event: Event):
    if registration is None or registration.event_id != event.id:
        flash(_("No participant of this event has that code."), "danger")
        return
    try:
        first = services.check_in(registration)
        db.session.commit()
        flash(_("%(org)s is checked in.", org=registration.org.name) if first
              else _("%(org)s was already checked in.", org=registration.org.name), "success" if first else "info")
    except EventError as error:
        db.session.rollback()
        show_error(error)


@bp.post("/<int:event_id>/checkin")
@login_required
def checkin(event_id: int):
    """Check in by hand (a registration id) or with the code from the agenda's QR link."""
    event = organised_event_or_404(event_id)
    registration_id = request.form.get("registration_id", type=int)
    if registration_id:
        _check_in(db.session.get(Registration, registration_id), event)
    else:
        form = CheckinForm()
        code = (form.code.data or "").strip().rstrip("/").rsplit("/", 1)[-1]
        _check_in(db.session.scalar(sa.select(Registration).where(Registration.checkin_token == code)) if code else None,
                  event)
    return redirect(url_for("events.registrations", event_id=event.id))


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@login_required
def checkin_scan(token: str):
    """Where the agenda's QR code points: the organiser's phone opens it and confirms."""
    registration = db.session.scalar(sa.select(Registration).where(Registration.checkin_token == token))
    if registration is None:
        abort(404)
    event = organised_event_or_404(registration.event_id)
    if request.method == "POST":
        _check_in(registration, event)
        return redirect(url_for("events.registrations", event_id=event.id))
    return render_template("events/checkin.html", event=event, registration=registration)
