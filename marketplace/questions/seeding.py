"""Demo questions (seeds/demo/questions.json): a few answered publicly or privately, one open."""
from __future__ import annotations

import json

import sqlalchemy as sa

from marketplace.questions.models import Question


def load_questions(loader) -> None:
    """Called by marketplace.seeding after demands are loaded; adds each question once."""
    from marketplace.seeding import DEMO_DIR

    path = DEMO_DIR / "questions.json"
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    for entry in entries:
        # Another demo folder (a test's) may not have these demands: its questions do not apply.
        demand, asker = loader.demands.get(entry["demand"]), loader.orgs.get(entry["asker"])
        if demand is None or asker is None:
            continue
        exists = loader.session.scalar(sa.select(Question.id).where(
            Question.demand_id == demand.id, Question.asker_org_id == asker.id, Question.body == entry["body"]))
        if exists:
            continue
        answered = bool(entry.get("answer"))
        loader.add(Question(
            demand_id=demand.id, asker_org_id=asker.id, asker_user_id=loader.owner_id(entry["asker"]), body=entry["body"],
            status="answered" if answered else "open", answer=entry.get("answer", ""), public=bool(entry.get("public")),
            answered_at=demand.published_at if answered else None,
            answered_by_id=loader.owner_id(loader._key_of(demand.org_id)) if answered else None, is_demo=True,
        ), "questions")
    loader.session.flush()
