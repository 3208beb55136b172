"""Which taxonomy terms a piece of text is about: suggestions for the demand form and the terms
a search query names. The inference itself is pure (marketplace/matching/taxonomy_inference.py);
this module feeds it the terms in the database, one query per request, and keeps the built
glossaries per process until the terms change.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context

from marketplace.extensions import db
from marketplace.matching.taxonomy_inference import ScenarioInferer
from marketplace.matching.text import STOPWORDS, assemble, clean
from marketplace.taxonomy.models import TaxonomyTerm

INFERRED_KINDS = ("scenario", "industry", "stage", "chain")
# How many suggestions of each kind the demand form offers (a demand has one industry and stage).
SUGGEST_TOP = {"scenario": 3, "industry": 1, "stage": 1}

_lock = threading.Lock()
_inferers: dict[tuple, dict[str, ScenarioInferer]] = {}


@dataclass(frozen=True)
class Term:
    """A taxonomy term as plain data (safe to keep beyond the session)."""

    id: int
    kind: str
    code: str
    label_zh: str
    label_en: str
    keywords: str


def _load_terms() -> tuple[Term, ...]:
    rows = db.session.execute(
        sa.select(TaxonomyTerm.id, TaxonomyTerm.kind, TaxonomyTerm.code, TaxonomyTerm.label_zh, TaxonomyTerm.label_en,
                  TaxonomyTerm.keywords)
        .where(TaxonomyTerm.kind.in_(INFERRED_KINDS), TaxonomyTerm.active.is_(True))
        .order_by(TaxonomyTerm.kind, TaxonomyTerm.sort_order, TaxonomyTerm.id))
    return tuple(Term(*row[:5], row[5] or "") for row in rows)


def terms() -> tuple[Term, ...]:
    """The active scenario, industry, stage and chain terms (read once per request)."""
    if has_request_context():
        if "inference_terms" not in g:
            g.inference_terms = _load_terms()
        return g.inference_terms
    return _load_terms()


def inferers(all_terms: tuple[Term, ...] | None = None) -> dict[str, ScenarioInferer]:
    """One glossary per kind, built once per process for the same set of terms."""
    all_terms = terms() if all_terms is None else all_terms
    with _lock:
        built = _inferers.get(all_terms)
        if built is None:
            built = {kind: ScenarioInferer([{"code": t.code, "zh": t.label_zh, "en": t.label_en, "keywords": t.keywords}
                                            for t in all_terms if t.kind == kind]) for kind in INFERRED_KINDS}
            _inferers.clear()  # the terms changed: the old glossaries are not needed again
            _inferers[all_terms] = built
        return built


def infer(text: str, kind: str, top: int = 3) -> list[Term]:
    """Terms of one kind the text is about, best first."""
    all_terms = terms()
    by_code = {t.code: t for t in all_terms if t.kind == kind}
    return [by_code[guess.code] for guess in inferers(all_terms)[kind].predict(text, top=top) if guess.code in by_code]


def suggest(title: str | None, description: str | None) -> dict[str, list[Term]]:
    """Scenario, industry and stage terms suggested for a demand written in plain words."""
    text = assemble(title, description)
    if not text:
        return {kind: [] for kind in SUGGEST_TOP}
    return {kind: infer(text, kind, top) for kind, top in SUGGEST_TOP.items()}


def named_terms(query: str) -> tuple[list[Term], list[Term]]:
    """Terms a search query names, as (strong, weak). Strong: by label, zh or en (预测性维护,
    "predictive maintenance", or the query is part of one: 排产), or by the scenario glossary
    (视觉检测 → 在线智能检测). Weak: one word of a longer query is part of a label ("maintenance"
    in "predictive maintenance" is part of the stage "Maintenance and service")."""
    q = clean(query, 200).lower()
    if not q:
        return [], []
    words = [w for w in q.split() if w != q and _specific(w)]
    strong: dict[int, Term] = {}
    weak: dict[int, Term] = {}
    for t in terms():
        labels = [label.lower() for label in (t.label_zh, t.label_en) if label]
        if any(label in q or (_specific(q) and q in label) for label in labels):
            strong[t.id] = t
        elif any(w in label for w in words for label in labels):
            weak[t.id] = t
    for t in infer(q, "scenario"):
        strong.setdefault(t.id, t)
        weak.pop(t.id, None)
    return list(strong.values()), list(weak.values())


def _specific(part: str) -> bool:
    """A query word specific enough to name a term by being part of its label."""
    if part in STOPWORDS:
        return False
    if part.isascii():
        return len(part) >= 4
    return len(part) >= 2
