"""Scenario, industry and stage suggestions for a demand written in plain words (issue 14 item 7).

With JavaScript, static/js/demand-suggest.js asks `suggest_terms` while the firm types and shows the
suggestions as chips; a click on a chip chooses that term in the form. Without it (or when the firm
chose no scenario), the first save with no scenario is not stored: the form comes back with the
suggested scenarios (and stage, if none) chosen, for the firm to confirm or change, and the next
save stores what is chosen then, even nothing. Only confirmed terms are stored, in the demand's
usual term fields, so the browse filters and the dashboard count them.
"""
from __future__ import annotations

from marketplace.demands.forms import DemandForm
from marketplace.i18n import is_english
from marketplace.taxonomy.inference import Term, suggest


def _label(term: Term) -> str:
    return term.label_en if is_english() else term.label_zh


def as_json(title: str, description: str) -> dict:
    """{"scenario": [{"id", "code", "label"}], "industry": [...], "stage": [...]}, labels in the user's language."""
    return {kind: [{"id": t.id, "code": t.code, "label": _label(t)} for t in found]
            for kind, found in suggest(title[:200], description[:10000]).items()}


def offer_suggestions(form: DemandForm) -> list[Term]:
    """On a save with no scenario chosen and no suggestions shown yet: choose the suggested terms in
    the form and return them (the view shows the form again instead of saving). Else []."""
    if form.scenario_ids.data or form.terms_reviewed.data == "1":
        return []
    form.terms_reviewed.data = "1"
    found = suggest(form.title.data, form.description.data)
    chosen = [t for t in found["scenario"] if t.id in {c for c, _ in form.scenario_ids.choices}]
    if not chosen:
        return []
    form.scenario_ids.data = [t.id for t in chosen]
    if not form.stage_id.data and found["stage"]:
        form.stage_id.data = found["stage"][0].id
        chosen += found["stage"][:1]
    return chosen
