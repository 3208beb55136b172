"""Taxonomy look-ups for forms, filters and display."""
from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.cache import remembered
from marketplace.extensions import db
from marketplace.i18n import is_english
from marketplace.taxonomy.models import TaxonomyTerm


def terms(kind: str) -> list[TaxonomyTerm]:
    return list(
        db.session.scalars(
            sa.select(TaxonomyTerm)
            .where(TaxonomyTerm.kind == kind, TaxonomyTerm.active.is_(True))
            .order_by(TaxonomyTerm.sort_order, TaxonomyTerm.id)
        )
    )


def _labels(kind: str) -> list[tuple[int, str, str, str]]:
    """(id, code, label_zh, label_en) of a kind's active terms, kept TAXONOMY_CACHE_SECONDS per process:
    every browse page and form reads them, and terms change rarely (an edit shows within the minute)."""
    return remembered("taxonomy_labels", kind, "TAXONOMY_CACHE_SECONDS", 60,
                      lambda: [(t.id, t.code, t.label_zh, t.label_en) for t in terms(kind)])


class TermLabel(NamedTuple):
    """A term as list rows show it (term_label(), search highlighting), read from the process cache."""
    id: int
    kind: str
    code: str
    label_zh: str
    label_en: str
    sort_order: int


def labels_by_id() -> dict[int, TermLabel]:
    """Every term, active or not (old rows keep retired terms), by id; kept like _labels()."""
    return remembered("taxonomy_labels", "by_id", "TAXONOMY_CACHE_SECONDS", 60, lambda: {
        t.id: TermLabel(t.id, t.kind, t.code, t.label_zh, t.label_en, t.sort_order)
        for t in db.session.scalars(sa.select(TaxonomyTerm))})


def term_choices(kind: str, blank: str | None = None) -> list[tuple[int, str]]:
    """(id, label) pairs in the current language; `blank` adds a first "none" choice with value 0."""
    english = is_english()
    choices = [(term_id, en if english else zh) for term_id, _code, zh, en in _labels(kind)]
    if blank is not None:
        choices.insert(0, (0, blank))
    return choices


def code_choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs for filters in query strings."""
    english = is_english()
    return [(code, en if english else zh) for _id, code, zh, en in _labels(kind)]


def by_ids(ids) -> list[TaxonomyTerm]:
    ids = [i for i in ids if i]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(TaxonomyTerm).where(TaxonomyTerm.id.in_(ids))))


def term_id_subquery(kind: str, code: str) -> sa.ScalarSelect:
    """The id of a term named by its code, as a subquery for filters (?city=weifang)."""
    return sa.select(TaxonomyTerm.id).where(TaxonomyTerm.kind == kind, TaxonomyTerm.code == code).scalar_subquery()


def by_code(kind: str, code: str | None) -> TaxonomyTerm | None:
    if not code:
        return None
    return db.session.scalar(sa.select(TaxonomyTerm).where(TaxonomyTerm.kind == kind, TaxonomyTerm.code == code))


ANY = _l("Any")
NONE = _l("— choose —")


TAXONOMY_FILES = {
    "city": "cities.json",
    "industry": "industries.json",
    "chain": "chains.json",
    "stage": "stages.json",
    "scenario": "scenarios.json",
    "voucher": "vouchers.json",
    "deployment": "deployments.json",
}


def load_taxonomy_files(session, folder=None) -> int:
    """Insert or update every term from seeds/taxonomies/*.json (idempotent by kind and code).

    Returns how many terms were added."""
    import json
    from pathlib import Path

    folder = Path(folder) if folder else Path(__file__).resolve().parents[2] / "seeds" / "taxonomies"
    existing = {(t.kind, t.code): t for t in session.scalars(sa.select(TaxonomyTerm))}
    added = 0
    for kind, filename in TAXONOMY_FILES.items():
        entries = json.loads((folder / filename).read_text(encoding="utf-8"))
        for position, entry in enumerate(entries):
            term = existing.get((kind, entry["code"]))
            if term is None:
                term = TaxonomyTerm(kind=kind, code=entry["code"])
                session.add(term)
                added += 1
            term.label_zh = entry["zh"]
            term.label_en = entry["en"]
            term.keywords = entry.get("keywords", "") or ""
            term.sort_order = position
    session.flush()
    return added
