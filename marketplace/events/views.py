"""Events: public pages, the participant's side (register, suggestions, requests, agenda,
feedback). The organiser's side (create, approve, schedule, check in) is in organiser_views.py;
both share this blueprint."""
from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.events import agenda as agenda_files
from marketplace.events import queries, services
from marketplace.events.forms import AnswerForm, FeedbackForm, MeetingRequestForm, RegistrationForm
from marketplace.events.models import Event, Meeting, MeetingRequest
from marketplace.events.services import EventError
from marketplace.extensions import db
from marketplace.i18n import is_english
from marketplace.pdf import FontMissing

bp = Blueprint("events", __name__, url_prefix="/events")

STAGE_LABELS = {
    "registered": _l("Registered"), "requested": _l("Meetings requested"), "accepted": _l("Accepted"),
    "held": _l("Held"), "bid": _l("Followed by a bid"), "awarded": _l("Awarded"),
}


def get_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or (event.status == "draft" and not is_organiser(event)):
        abort(404)
    return event


def is_organiser(event: Event) -> bool:
    return current_user.is_authenticated and (
        current_user.is_admin or (current_user.org_id is not None and current_user.org_id == event.bureau_org_id))


def my_registration(event: Event):
    if not current_user.is_authenticated:
        return None
    return queries.registration_of(event.id, current_user.org_id)


def show_error(error: EventError, form=None) -> None:
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "danger")


def attempt(action: Callable[[], object], success: str | None = None, form=None) -> EventError | None:
    """Run a service call and commit (then flash `success`); on EventError roll back and show the
    error, beside the form's field when it names one. Returns that error, or None once saved."""
    try:
        action()
        db.session.commit()
    except EventError as error:
        db.session.rollback()
        show_error(error, form)
        return error
    if success:
        flash(success, "success")
    return None


def stage_label(code: str) -> str:
    return str(STAGE_LABELS[code])


# ------------------------------------------------------------------ public
@bp.get("/")
def index():
    today = services.today()
    upcoming = db.session.scalars(queries.public_events(True, today)).all()
    past = db.session.scalars(queries.public_events(False, today).limit(50)).all()
    return render_template("events/index.html", upcoming=upcoming, past=past)


@bp.get("/<int:event_id>")
def detail(event_id: int):
    event = get_event_or_404(event_id)
    registration = my_registration(event)
    participants = queries.participants(event.id)
    over = services.is_over(event)
    funnel = [(stage_label(code), n) for code, n in queries.funnel(event)] if over or is_organiser(event) else []
    return render_template("events/detail.html", event=event, participants=participants, registration=registration,
                           organiser=is_organiser(event), over=over, funnel=funnel,
                           registration_open=services.registration_open(event),
                           sessions=queries.sessions_with_slots(event.id))


# ------------------------------------------------------------------ participants
def _registration_form(event: Event) -> RegistrationForm:
    from marketplace.demands.models import Demand
    from marketplace.offerings.models import Offering
    import sqlalchemy as sa

    form = RegistrationForm()
    form.session_ids.choices = [(s.id, f"{s.name} {s.starts_at:%H:%M}–{s.ends_at:%H:%M}") for s in event.sessions]
    org = current_user.org
    form.demand_ids.choices = [(d.id, d.title) for d in db.session.scalars(
        sa.select(Demand).where(Demand.org_id == org.id, Demand.status == "open").order_by(Demand.title))]
    form.offering_ids.choices = [(o.id, o.title) for o in db.session.scalars(
        sa.select(Offering).where(Offering.org_id == org.id, Offering.status == "published").order_by(Offering.title))]
    if request.method == "GET":
        form.session_ids.data = [s.id for s in event.sessions]
    return form


@bp.route("/<int:event_id>/register", methods=["GET", "POST"])
@login_required
def register(event_id: int):
    event = get_event_or_404(event_id)
    if current_user.org is None or current_user.org.kind not in ("manufacturer", "provider"):
        abort(403)
    if my_registration(event) is not None:
        flash(_("Your organisation is already registered for this event."), "info")
        return redirect(url_for("events.mine", event_id=event.id))
    if not services.registration_open(event):
        flash(_("Registration for this event is closed."), "warning")
        return redirect(url_for("events.detail", event_id=event.id))
    form = _registration_form(event)
    status = 200
    if form.validate_on_submit():
        from marketplace.demands.models import Demand
        from marketplace.events.models import EventSession
        from marketplace.offerings.models import Offering
        import sqlalchemy as sa

        pick = lambda model, ids: list(db.session.scalars(sa.select(model).where(model.id.in_(ids or [])))) # noqa: E731
        try:
            services.register(event, current_user.org, current_user, pick(Demand, form.demand_ids.data),
                              pick(Offering, form.offering_ids.data), pick(EventSession, form.session_ids.data),
                              form.note.data or "")
            db.session.commit()
        except EventError as error:
            db.session.rollback()
            show_error(error, form)
            status = error.status
        except Exception as error:  # a parallel double submit hits the unique constraint
            from sqlalchemy.exc import IntegrityError

            db.session.rollback()
            if not isinstance(error, IntegrityError):
                raise
            flash(_("Your organisation is already registered for this event."), "info")
            return redirect(url_for("events.mine", event_id=event.id))
        else:
            flash(_("You are registered.") if not event.needs_approval
                  else _("You are registered; the organiser will approve your registration."), "success")
            return redirect(url_for("events.mine", event_id=event.id))
    elif request.method == "POST":
        status = 422
    return render_template("events/register.html", event=event, form=form), status


@bp.get("/<int:event_id>/me")
@login_required
def mine(event_id: int):
    event = get_event_or_404(event_id)
    registration = my_registration(event)
    if registration is None:
        abort(404)
    requests_ = queries.requests_of(registration)
    live_with = {r.to_id if r.from_id == registration.id else r.from_id
                 for r in requests_ if r.status in services.LIVE_REQUEST}
    suggestions = [s for s in queries.suggestions_for(registration)]
    others = [p for p in queries.participants(event.id) if p.id != registration.id]
    answer_forms = {}
    for r in requests_:
        if r.to_id == registration.id and r.status == "requested":
            form = AnswerForm(prefix=f"a{r.id}")
            form.version.data = r.version
            if event.scheduling == "pick":
                form.slot_id.choices = [(s.id, f"{s.starts_at:%H:%M}–{s.ends_at:%H:%M}") for s in services.free_slots(r)]
            answer_forms[r.id] = form
    english = is_english()
    reasons = {s.id: json.loads(s.reasons_en if english else s.reasons_zh or "[]") for s in suggestions}
    return render_template("events/mine.html", event=event, registration=registration, requests=requests_,
                           suggestions=suggestions, reasons=reasons, others=others, live_with=live_with,
                           answer_forms=answer_forms, request_form=MeetingRequestForm(),
                           booking_open=services.booking_open(event), agenda=queries.agenda(registration),
                           published=event.schedule_published_at is not None, over=services.is_over(event))


@bp.post("/<int:event_id>/requests")
@login_required
def send_request(event_id: int):
    event = get_event_or_404(event_id)
    registration = my_registration(event)
    if registration is None:
        abort(404)
    form = MeetingRequestForm()
    if not form.validate_on_submit() or not (form.to_id.data or "").isdigit():
        flash(_("Choose a participant to meet."), "danger")
        return redirect(url_for("events.mine", event_id=event.id))
    attempt(lambda: services.send_request(registration, int(form.to_id.data), form.note.data or ""),
            _("Your meeting request was sent."))
    return redirect(url_for("events.mine", event_id=event.id))


def _own_request(request_id: int) -> MeetingRequest:
    meeting_request = db.session.get(MeetingRequest, request_id)
    if meeting_request is None or not current_user.is_authenticated or current_user.org_id not in (
            meeting_request.sender.org_id, meeting_request.recipient.org_id):
        abort(404)
    return meeting_request


@bp.post("/requests/<int:request_id>/answer")
@login_required
def answer(request_id: int):
    meeting_request = _own_request(request_id)
    if meeting_request.recipient.org_id != current_user.org_id:
        abort(403)
    form = AnswerForm(prefix=f"a{meeting_request.id}")
    form.slot_id.choices = [(s.id, "") for s in services.free_slots(meeting_request)] + [(0, "")]
    accept = bool(form.accept.data)
    slot = request.form.get(f"a{meeting_request.id}-slot_id", type=int)
    attempt(lambda: services.answer_request(meeting_request, accept, form.version.data, slot_id=slot),
            _("You accepted the meeting.") if accept else _("You declined the meeting."))
    return redirect(url_for("events.mine", event_id=meeting_request.event_id))


@bp.post("/requests/<int:request_id>/cancel")
@login_required
def cancel_request(request_id: int):
    meeting_request = _own_request(request_id)
    attempt(lambda: services.cancel_request(meeting_request), _("The meeting request was cancelled."))
    return redirect(url_for("events.mine", event_id=meeting_request.event_id))


def _own_meeting(meeting_id: int) -> tuple[Meeting, object]:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    side = next((r for r in (meeting.request.sender, meeting.request.recipient)
                 if current_user.is_authenticated and r.org_id == current_user.org_id), None)
    if side is None:
        abort(404)
    return meeting, side


@bp.route("/meetings/<int:meeting_id>/feedback", methods=["GET", "POST"])
@login_required
def feedback(meeting_id: int):
    meeting, side = _own_meeting(meeting_id)
    existing = next((f for f in meeting.feedback if f.registration_id == side.id), None)
    form = FeedbackForm(obj=existing) if request.method == "GET" else FeedbackForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.leave_feedback(meeting, side, form.rating.data, form.follow_up.data, form.comment.data or "")
            db.session.commit()
            flash(_("Thank you: your feedback was saved."), "success")
            return redirect(url_for("events.mine", event_id=meeting.request.event_id))
        except EventError as error:
            db.session.rollback()
            show_error(error)
            status = error.status
    elif request.method == "POST":
        status = 422
    other = meeting.request.recipient if side.id == meeting.request.from_id else meeting.request.sender
    return render_template("events/feedback.html", meeting=meeting, other=other, form=form), status


def _agenda_owner(event_id: int):
    event = get_event_or_404(event_id)
    registration = my_registration(event)
    if registration is None or registration.status != "approved":
        abort(404)
    if event.schedule_published_at is None and event.scheduling == "auto":
        abort(404)
    return event, registration


@bp.get("/<int:event_id>/agenda.ics")
@login_required
def agenda_ics(event_id: int):
    event, registration = _agenda_owner(event_id)
    body = agenda_files.ics(event, registration, queries.agenda(registration), english=is_english())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="event-{event.id}-agenda.ics"'})


@bp.get("/<int:event_id>/agenda.pdf")
@login_required
def agenda_pdf(event_id: int):
    event, registration = _agenda_owner(event_id)
    checkin_url = url_for("events.checkin_scan", token=registration.checkin_token, _external=True)
    try:
        body = agenda_files.pdf(event, registration, queries.agenda(registration), checkin_url, english=is_english())
    except FontMissing:
        from marketplace.errors import fail

        fail(503, _("The PDF agenda needs the Noto CJK font on the server (Debian package fonts-noto-cjk). "
                    "Download the calendar file instead."))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="event-{event.id}-agenda.pdf"'})


from marketplace.events import organiser_views  # noqa: E402,F401  (registers the organiser routes)
