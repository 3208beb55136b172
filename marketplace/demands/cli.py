"""`flask demands infer-scenarios`: scenarios for existing demands that have none (demo or imported rows)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

demands_cli = AppGroup("demands", help="Demands: maintenance commands.")
BATCH = 500


@demands_cli.command("infer-scenarios")
@click.option("--apply", "apply_", is_flag=True, help="Store them (marked inferred); without it, only report.")
@click.option("--top", default=2, show_default=True, help="At most this many scenarios per demand.")
def infer_scenarios(apply_: bool, top: int) -> None:
    """Infer scenarios from the text of demands that have none, and store them marked as inferred.

    The firm sees them marked “inferred” on the demand page; saving the demand's form confirms them.
    Short write transactions: each batch is read, inferred outside any transaction, then written."""
    from marketplace.demands.models import Demand, demand_scenario
    from marketplace.extensions import db
    from marketplace.matching.text import assemble
    from marketplace.taxonomy.inference import infer

    untagged = ~sa.exists().where(demand_scenario.c.demand_id == Demand.id)
    last_id, seen, stored = 0, 0, 0
    examples: list[str] = []
    while True:
        rows = db.session.execute(sa.select(Demand.id, Demand.title, Demand.description)
                                  .where(untagged, Demand.id > last_id).order_by(Demand.id).limit(BATCH)).all()
        db.session.rollback()  # infer outside the transaction (SQLite: do not hold the write lock)
        if not rows:
            break
        last_id = rows[-1].id
        links = []
        for row in rows:
            found = infer(assemble(row.title, row.description), "scenario", top)
            links += [{"demand_id": row.id, "term_id": t.id, "inferred": True} for t in found]
            if found and len(examples) < 5:
                examples.append(f"  #{row.id} {row.title[:40]} → {', '.join(t.label_zh for t in found)}")
        seen += len(rows)
        if apply_ and links:
            # a demand tagged meanwhile (by its firm) keeps its own scenarios
            tagged = set(db.session.scalars(sa.select(demand_scenario.c.demand_id).where(
                demand_scenario.c.demand_id.in_({link["demand_id"] for link in links}))))
            links = [link for link in links if link["demand_id"] not in tagged]
            if links:
                db.session.execute(sa.insert(demand_scenario), links)
            db.session.commit()
        stored += len(links)
    click.echo("\n".join(examples))
    done = "stored, marked inferred" if apply_ else "found (run with --apply to store them)"
    click.echo(f"{seen} demands without scenarios; {stored} inferred scenarios {done}.")


COMMANDS = [demands_cli]
