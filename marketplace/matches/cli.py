"""`flask matching reindex|evaluate|benchmark`."""
from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from marketplace.matching.embeddings import BATCH_SIZE

matching_cli = AppGroup("matching", help="The matcher: vectors, index, evaluation and benchmarks.")


@matching_cli.command("reindex")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--batch-size", default=BATCH_SIZE, show_default=True)
@click.option("--matches/--no-matches", "with_matches", default=True, show_default=True,
              help="Also recompute every stored match.")
def reindex(quiet: bool, batch_size: int, with_matches: bool) -> None:
    """Encode what is stale (new text or another model), rebuild the index from stored vectors, store matches.

    Rows load in bulk (a constant number of queries) and each document is built once."""
    from marketplace.db import read_phase
    from marketplace.demands.models import Demand
    from marketplace.extensions import db
    from marketplace.matches import store
    from marketplace.matches.documents import documents, load_demands, load_offerings
    from marketplace.matches.engine import get_engine
    from marketplace.matching.embeddings import EmbeddingModelError
    from marketplace.offerings.models import Offering

    try:
        engine = get_engine()
        with read_phase():  # while the site serves: hold SQLite's write lock only to write
            objects = load_demands(Demand.status == "open") + load_offerings(Offering.status == "published")
            docs = documents(objects)
            db.session.commit()
        encoded = engine.store_vectors(batch_size=batch_size, progress=not quiet, docs=docs)
        with read_phase():
            demands, offerings = engine.rebuild(save=True, docs=docs)
            db.session.commit()
        stored = store.refresh_all(engine) if with_matches else 0
    except EmbeddingModelError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"encoded {encoded} texts; indexed {demands} open demands and {offerings} published offerings "
               f"with model {engine.encoder.name}; stored {stored} matches")


@matching_cli.command("evaluate")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--qrels", "qrels_name", default="dev", show_default=True, help="qrels/<NAME>.tsv")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object and nothing else on stdout.")
@click.option("--reference-model", "reference_models", multiple=True, default=("all-MiniLM-L6-v2",), show_default=True,
              help="Also report this encoder's dense-only row (repeatable).")
def evaluate(folder: str, qrels_name: str, as_json: bool, reference_models: tuple[str, ...]) -> None:
    """nDCG@10, MRR@10, Recall@10/100 of the hybrid, its lexical and dense signals, and plain
    references (char-n-gram BM25, each model's dense ranking, naive RRF), per language and overall."""
    from flask import current_app

    from marketplace.matching import evaluate as evaluation
    from marketplace.matching.embeddings import EmbeddingModelError, get_encoder
    from marketplace.matching.ranker import FusionWeights

    try:
        encoder = get_encoder(current_app.config.get("EMBEDDING_MODEL", ""))
        references = [get_encoder(name) for name in reference_models if name]
    except EmbeddingModelError as error:
        raise click.ClickException(str(error)) from error
    weights = FusionWeights.from_mapping(current_app.config.get("MATCHING_WEIGHTS"))
    results = evaluation.run(folder, qrels_name, encoder, weights=weights, taxonomy=_scenario_taxonomy(), references=references)
    if as_json:
        sys.stdout.write(json.dumps(results) + "\n")
        return
    click.echo(evaluation.format_table(results))


@matching_cli.command("tune")
@click.argument("folder", type=click.Path(exists=True, file_okay=False), default="seeds/eval")
@click.option("--qrels", "qrels_name", default="dev", show_default=True, help="Fit on this split only (dev).")
def tune(folder: str, qrels_name: str) -> None:
    """Refit the learned fusion and its calibration on the dev split and save it for the model."""
    from flask import current_app

    from marketplace.matching import evaluate as evaluation
    from marketplace.matching.embeddings import EmbeddingModelError, get_encoder

    if qrels_name == "test":
        raise click.ClickException("fit on the dev split; the test split is for reporting")
    try:
        encoder = get_encoder(current_app.config.get("EMBEDDING_MODEL", ""))
    except EmbeddingModelError as error:
        raise click.ClickException(str(error)) from error
    data = evaluation.prepare(folder, qrels_name, encoder)
    model = evaluation.fit_fusion(data, _scenario_taxonomy(), folder, qrels_name, encoder.han_ability)
    path = model.save()
    for lang, scorer in model.languages.items():
        click.echo(f"{lang}: {scorer.mode} (dev, out-of-fold nDCG@10: {scorer.dev})")
    click.echo(f"saved {path}; restart the workers to use it")


@matching_cli.command("benchmark")
@click.option("--sizes", default="10000,100000,1000000", show_default=True, help="Index sizes, comma-separated.")
@click.option("--queries", default=200, show_default=True)
def benchmark(sizes: str, queries: int) -> None:
    """Encoder throughput, top-10 latency at several index sizes, build/load time, memory."""
    from flask import current_app

    from marketplace.matching import benchmark as bench

    bench.main(model_path=current_app.config.get("EMBEDDING_MODEL", ""),
               sizes=[int(s) for s in sizes.split(",") if s.strip()], n_queries=queries,
               approx_threshold=current_app.config["MATCHING_APPROX_THRESHOLD"])


def _scenario_taxonomy() -> list[dict]:
    from marketplace.extensions import db
    from marketplace.taxonomy.models import TaxonomyTerm

    try:
        terms = db.session.scalars(sa.select(TaxonomyTerm).where(TaxonomyTerm.kind == "scenario")).all()
    except Exception:  # noqa: BLE001 - no database yet: fall back to the seed file
        terms = []
    if terms:
        return [{"code": t.code, "zh": t.label_zh, "en": t.label_en, "keywords": t.keywords} for t in terms]
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "seeds" / "taxonomies" / "scenarios.json"
    return json.loads(path.read_text(encoding="utf-8"))


COMMANDS = [matching_cli]
