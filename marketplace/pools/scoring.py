"""Sheets and totals: who has scored what, and the application's total under the pool's rule.

Without an expert panel the bureau keeps one sheet (every score of the application). With a panel
each assigned reviewer has a sheet (their scores); recused reviewers' sheets do not count, and the
total is the mean of the counting reviewers' complete sheets, or the trimmed mean (the highest and
the lowest dropped) when the pool says so and there are 3 or more. Reads only; no writes here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass
class Sheet:
    assignment: object | None  # the ReviewAssignment, None for the bureau's own sheet (no panel)
    scores: dict = field(default_factory=dict)  # rubric item id -> ApplicationScore
    missing: list = field(default_factory=list)  # rubric items without a score

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def total(self) -> Decimal | None:
        return sum((s.points for s in self.scores.values()), Decimal("0")) if self.scores else None

    @property
    def counts(self) -> bool:
        return self.assignment is None or self.assignment.coi != "conflict"


def _sheet(application, assignment, scores) -> Sheet:
    by_item = {s.rubric_item_id: s for s in scores}
    return Sheet(assignment, by_item, [item for item in application.pool.rubric_items if item.id not in by_item])


def sheet_of(application, assignment) -> Sheet:
    return _sheet(application, assignment, [s for s in application.scores if s.scored_by_id == assignment.reviewer_id])


def sheets(application) -> list[Sheet]:
    """One sheet per assigned reviewer (panel), or the bureau's one sheet."""
    if not application.reviewers:
        return [_sheet(application, None, application.scores)]
    return [sheet_of(application, a) for a in application.reviewers]


def rule_total(totals: list[Decimal], rule: str) -> Decimal | None:
    if not totals:
        return None
    totals = sorted(totals)
    if rule == "trimmed" and len(totals) >= 3:
        totals = totals[1:-1]
    return (sum(totals, Decimal("0")) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP)


def compute_total(application) -> Decimal | None:
    if not application.reviewers:
        return _sheet(application, None, application.scores).total
    return rule_total([s.total for s in sheets(application) if s.counts and s.complete], application.pool.score_rule)


def admission_gaps(application) -> list[str]:
    """What still stands between this application and an admission decision (empty: nothing)."""
    from flask_babel import gettext as _

    if not application.reviewers:
        missing = _sheet(application, None, application.scores).missing
        return [_("not yet scored: %(items)s", items="、".join(item.name for item in missing))] if missing else []
    gaps = []
    counting = [s for s in sheets(application) if s.counts]
    for sheet in counting:
        name = sheet.assignment.reviewer.name
        if sheet.assignment.coi == "pending":
            gaps.append(_("%(name)s has not declared a conflict of interest", name=name))
        elif not sheet.complete:
            gaps.append(_("%(name)s has not scored %(items)s", name=name,
                          items="、".join(item.name for item in sheet.missing)))
    if not counting:
        gaps.append(_("every assigned reviewer is recused: assign another reviewer"))
    return gaps
