"""Evaluation over a BEIR folder: corpus.jsonl = offerings, queries.jsonl = demands,
qrels/<name>.tsv ("query-id corpus-id score", graded). Records may carry a "metadata" object
with structured fields (industries, chains, stages, scenarios, cities, budget_min/max, ...).

Reports nDCG@10, MRR@10, Recall@10 and Recall@100 for lexical only, dense only and hybrid.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .ranker import FusionWeights, Matcher, MatchDocument

METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100")


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(float(row[2]))
    return qrels


def _codes(value) -> frozenset[str]:
    if not value:
        return frozenset()
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return frozenset(str(v) for v in value)


def to_document(record: dict, doc_id: int, kind: str) -> MatchDocument:
    meta = record.get("metadata") or {}
    lo = meta.get("budget_min", meta.get("price_min"))
    hi = meta.get("budget_max", meta.get("price_max"))
    return MatchDocument(
        id=doc_id,
        kind=kind,
        title=record.get("title") or "",
        text=record.get("text") or "",
        industries=_codes(meta.get("industries") or meta.get("industry")),
        chains=_codes(meta.get("chains") or meta.get("chain")),
        stages=_codes(meta.get("stages") or meta.get("stage")),
        scenarios=_codes(meta.get("scenarios") or meta.get("scenario")),
        cities=_codes(meta.get("cities") or meta.get("city")),
        budget_min=float(lo) if lo is not None else None,
        budget_max=float(hi) if hi is not None else None,
        pool_ids=frozenset(int(p) for p in meta.get("pool_ids", [])),
        rating_avg=meta.get("rating_avg"),
        rating_count=int(meta.get("rating_count", 0)),
        awarded_count=int(meta.get("awarded_count", 0)),
        metadata=meta,
    )


@dataclass
class EvalData:
    corpus_ids: list[str]
    query_ids: list[str]
    docs: list[MatchDocument]
    queries: list[MatchDocument]
    doc_vectors: np.ndarray
    query_vectors: np.ndarray
    qrels: dict[str, dict[str, int]]


def prepare(folder: str | Path, qrels_name: str = "dev", encoder=None, batch_size: int = 64) -> EvalData:
    """Read the folder and encode everything once (queries limited to those in the qrels)."""
    folder = Path(folder)
    qrels = read_qrels(folder / "qrels" / f"{qrels_name}.tsv")
    corpus = _read_jsonl(folder / "corpus.jsonl")
    queries = [q for q in _read_jsonl(folder / "queries.jsonl") if str(q["_id"]) in qrels]
    docs = [to_document(r, i, "offering") for i, r in enumerate(corpus)]
    qdocs = [to_document(r, i, "demand") for i, r in enumerate(queries)]
    if encoder is None:
        from .embeddings import get_encoder

        encoder = get_encoder("")
    return EvalData(
        corpus_ids=[str(r["_id"]) for r in corpus],
        query_ids=[str(q["_id"]) for q in queries],
        docs=docs,
        queries=qdocs,
        doc_vectors=encoder.encode([d.full_text() for d in docs], batch_size=batch_size),
        query_vectors=encoder.encode([q.full_text() for q in qdocs], batch_size=batch_size),
        qrels=qrels,
    )


def metrics(ranked: list[str], relevant: dict[str, int]) -> dict[str, float]:
    gains = [relevant.get(d, 0) for d in ranked]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:10]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    n_rel = sum(1 for g in relevant.values() if g > 0)
    first = next((i for i, g in enumerate(gains[:10]) if g > 0), None)
    return {
        "ndcg@10": dcg / idcg if idcg else 0.0,
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
        "recall@10": sum(1 for g in gains[:10] if g > 0) / n_rel if n_rel else 0.0,
        "recall@100": sum(1 for g in gains[:100] if g > 0) / n_rel if n_rel else 0.0,
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {m: round(float(np.mean([r[m] for r in rows])) if rows else 0.0, 4) for m in METRICS}


def build_matcher(data: EvalData, weights: FusionWeights | None = None, taxonomy: list[dict] | None = None, han_ability: float = 0.0) -> Matcher:
    matcher = Matcher(data.doc_vectors.shape[1], weights, taxonomy, han_ability=han_ability)
    matcher.build(data.docs, data.doc_vectors)
    return matcher


def score(data: EvalData, matcher: Matcher, systems=("hybrid", "dense", "lexical"), per_query: bool = False) -> dict:
    col = matcher.collections["offering"]
    runs: dict[str, list[list[str]]] = {s: [] for s in systems}
    if "dense" in systems or "rrf" in systems:
        _, dense_ids = col.vectors.search(data.query_vectors, 100)
    for qi, q in enumerate(data.queries):
        lex = [data.corpus_ids[i] for i, _ in col.lexical.top(col.lexical.query(q.full_text()), 100)]
        dense = [data.corpus_ids[i] for i in dense_ids[qi] if i >= 0] if "dense" in systems or "rrf" in systems else []
        if "lexical" in systems:
            runs["lexical"].append(lex)
        if "dense" in systems:
            runs["dense"].append(dense)
        if "hybrid" in systems:
            ranked = matcher.rank(q, data.query_vectors[qi], k=100, with_reasons=False)
            runs["hybrid"].append([data.corpus_ids[m.id] for m in ranked])
        if "rrf" in systems:  # naive reciprocal-rank fusion, the usual baseline
            rrf: dict[str, float] = {}
            for run in (lex, dense):
                for rank, d in enumerate(run):
                    rrf[d] = rrf.get(d, 0.0) + 1.0 / (60 + rank + 1)
            runs["rrf"].append(sorted(rrf, key=lambda d: -rrf[d])[:100])
    out = {}
    for system, ranked_lists in runs.items():
        rows = [metrics(r, data.qrels[qid]) for r, qid in zip(ranked_lists, data.query_ids)]
        out[system] = _mean(rows)
        if per_query:
            out[system + "_per_query"] = {qid: r["ndcg@10"] for qid, r in zip(data.query_ids, rows)}
    return out


def run(folder: str | Path, qrels_name: str = "dev", encoder=None, weights: FusionWeights | None = None, taxonomy: list[dict] | None = None, include_rrf: bool = False) -> dict:
    """{"hybrid": {...}, "dense": {...}, "lexical": {...}} (plus "rrf" when asked)."""
    if encoder is None:
        from .embeddings import get_encoder

        encoder = get_encoder("")
    data = prepare(folder, qrels_name, encoder)
    matcher = build_matcher(data, weights, taxonomy, encoder.han_ability)
    systems = ("hybrid", "dense", "lexical") + (("rrf",) if include_rrf else ())
    return score(data, matcher, systems)


TUNING_GRID: dict[str, list[float]] = {
    "dense": [0.1, 0.2, 0.35, 0.5, 0.7],
    "lexical": [0.1, 0.2, 0.35, 0.5, 0.7],
    "scenario": [0.0, 0.1, 0.25, 0.4],
    "expansion": [0.0, 0.3, 0.6, 1.0],
    "industry": [0.0, 0.03, 0.1],
    "city": [0.0, 0.02, 0.05],
}


def tune(data: EvalData, matcher: Matcher, start: FusionWeights | None = None, grid: dict | None = None, rounds: int = 2) -> tuple[FusionWeights, float]:
    """Coordinate ascent of hybrid nDCG@10 over the grid. Use a dev split only."""
    from dataclasses import replace

    best = start or FusionWeights()
    matcher.weights = best
    best_score = score(data, matcher, ("hybrid",))["hybrid"]["ndcg@10"]
    for _ in range(rounds):
        for name, values in (grid or TUNING_GRID).items():
            for value in values:
                matcher.weights = replace(best, **{name: value})
                s = score(data, matcher, ("hybrid",))["hybrid"]["ndcg@10"]
                if s > best_score + 1e-4:
                    best, best_score = matcher.weights, s
    matcher.weights = best
    return best, best_score


def main(argv: list[str] | None = None) -> None:
    """python -m marketplace.matching.evaluate FOLDER [--qrels NAME] [--json] [--rrf] [--tune]"""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Evaluate the matcher on a BEIR folder.")
    parser.add_argument("folder")
    parser.add_argument("--qrels", default="dev")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout, nothing else")
    parser.add_argument("--rrf", action="store_true", help="also report naive reciprocal-rank fusion")
    parser.add_argument("--tune", action="store_true", help="tune weights on this split (use dev only)")
    parser.add_argument("--model", default="", help="EMBEDDING_MODEL folder ('' = bundled)")
    parser.add_argument("--taxonomy", default=str(Path(__file__).resolve().parents[2] / "seeds" / "taxonomies" / "scenarios.json"))
    args = parser.parse_args(argv)
    from .embeddings import get_encoder

    encoder = get_encoder(args.model)
    taxonomy = json.loads(Path(args.taxonomy).read_text(encoding="utf-8")) if Path(args.taxonomy).exists() else None
    if args.tune:
        data = prepare(args.folder, args.qrels, encoder)
        weights, best = tune(data, build_matcher(data, None, taxonomy, encoder.han_ability))
        print(json.dumps({"weights": weights.__dict__, "ndcg@10": best}))
        return
    results = run(args.folder, args.qrels, encoder, taxonomy=taxonomy, include_rrf=args.rrf)
    if args.json:
        sys.stdout.write(json.dumps(results) + "\n")
        return
    print(f"{'':10}{'nDCG@10':>10}{'MRR@10':>10}{'R@10':>10}{'R@100':>10}")
    for name, row in results.items():
        print(f"{name:10}{row['ndcg@10']:>10.4f}{row['mrr@10']:>10.4f}{row['recall@10']:>10.4f}{row['recall@100']:>10.4f}")


if __name__ == "__main__":
    main()
