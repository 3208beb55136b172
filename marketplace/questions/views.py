"""Questions on a demand: asked from the demand page, answered there by the firm."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.demands import access
from marketplace.demands.views import get_visible_demand
from marketplace.errors import fail
from marketplace.extensions import db
from marketplace.questions import services
from marketplace.questions.forms import AnswerForm, QuestionForm
from marketplace.questions.models import Question

bp = Blueprint("questions", __name__)


@dataclass
class Panel:
    items: list
    is_firm: bool
    can_ask: bool
    ask_form: QuestionForm
    answer_form: AnswerForm


@bp.app_template_global()
def demand_questions(demand) -> Panel:
    """What the demand page shows in its Q&A section, for the current viewer."""
    return Panel(services.visible_questions(current_user, demand), access.is_owner(current_user, demand),
                 services.can_ask(current_user, demand), QuestionForm(formdata=None), AnswerForm(formdata=None))


def _back(demand_id: int):
    return redirect(url_for("demands.detail", demand_id=demand_id) + "#questions")


@bp.route("/demands/<int:demand_id>/questions", methods=["POST"])
@login_required
def ask(demand_id: int):
    demand = get_visible_demand(demand_id)
    if not services.can_ask(current_user, demand):
        fail(403, _("Questions can be asked only by providers, while the demand is open."))
    form = QuestionForm()
    if not form.validate_on_submit():
        return render_template("questions/ask.html", demand=demand, form=form), 400
    services.ask(current_user, demand, form.body.data)
    db.session.commit()
    flash(_("Your question was sent to the firm. You will be notified when it answers."), "success")
    return _back(demand.id)


def get_question_for_firm(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or not access.can_view(current_user, question.demand):
        abort(404)
    if not access.is_owner(current_user, question.demand):
        # A provider may know its own question exists; for anyone else it does not.
        abort(403 if question.asker_org_id == current_user.org_id else 404)
    return question


@bp.route("/questions/<int:question_id>/answer", methods=["POST"])
@login_required
def answer(question_id: int):
    question = get_question_for_firm(question_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_template("questions/answer.html", question=question, form=form), 400
    try:
        services.answer(current_user, question, form.answer.data, form.public.data)
    except services.QuestionError as error:
        db.session.rollback()
        fail(error.status, str(error.message))
    db.session.commit()
    flash(_("Your answer was sent.") if not form.public.data else
          _("Your answer is published as a clarification; bidders and invited providers are told."), "success")
    return _back(question.demand_id)
