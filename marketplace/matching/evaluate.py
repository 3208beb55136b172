"""Evaluation over a BEIR folder: corpus.jsonl = offerings, queries.jsonl = demands,
qrels/<name>.tsv ("query-id corpus-id score", graded). Records may carry a "metadata" object
with structured fields (industries, chains, stages, scenarios, cities, budget_min/max, ...).

Reports nDCG@10, MRR@10, Recall@10 and Recall@100 of the hybrid, its lexical and dense signals
alone, and plain references (char-n-gram BM25 without glossary, each encoder's dense ranking,
naive RRF), per query language (Han-majority, Latin-majority) and overall, in the same run.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from dataclasses import field
from datetime import date

import numpy as np

from . import fusion as fusion_models
from .embeddings import BATCH_SIZE
from .fusion import FEATURES, FusionModel, QueryCandidates, language_of
from .index import VectorIndex
from .lexical import LexicalIndex
from .ranker import FusionWeights, Matcher, MatchDocument
from .text import han_share

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
    doc_vectors: np.ndarray  # the primary encoder's (the one the hybrid uses)
    query_vectors: np.ndarray
    qrels: dict[str, dict[str, int]]
    model_name: str = ""
    # Reference encoders' vectors by model name: (doc vectors, query vectors).
    other_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def language(self, qi: int) -> str:
        return language_of(han_share(self.queries[qi].full_text()))


def _encode(encoder, data_docs, data_queries, batch_size):
    return (encoder.encode_kind([d.full_text() for d in data_docs], "offering", batch_size=batch_size),
            encoder.encode_kind([q.full_text() for q in data_queries], "demand", batch_size=batch_size))


def prepare(folder: str | Path, qrels_name: str = "dev", encoder=None, batch_size: int = BATCH_SIZE, references=()) -> EvalData:
    """Read the folder and encode everything once (queries limited to those in the qrels).
    references: more encoders whose dense-only rows are reported beside the primary's."""
    folder = Path(folder)
    qrels = read_qrels(folder / "qrels" / f"{qrels_name}.tsv")
    corpus = _read_jsonl(folder / "corpus.jsonl")
    queries = [q for q in _read_jsonl(folder / "queries.jsonl") if str(q["_id"]) in qrels]
    docs = [to_document(r, i, "offering") for i, r in enumerate(corpus)]
    qdocs = [to_document(r, i, "demand") for i, r in enumerate(queries)]
    if encoder is None:
        from .embeddings import get_encoder

        encoder = get_encoder("")
    doc_vectors, query_vectors = _encode(encoder, docs, qdocs, batch_size)
    others = {ref.name: _encode(ref, docs, qdocs, batch_size) for ref in references if ref.name != encoder.name}
    return EvalData(
        corpus_ids=[str(r["_id"]) for r in corpus],
        query_ids=[str(q["_id"]) for q in queries],
        docs=docs,
        queries=qdocs,
        doc_vectors=doc_vectors,
        query_vectors=query_vectors,
        qrels=qrels,
        model_name=encoder.name,
        other_vectors=others,
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
    out = {m: round(float(np.mean([r[m] for r in rows])) if rows else 0.0, 4) for m in METRICS}
    out["queries"] = len(rows)
    return out


def build_matcher(data: EvalData, weights: FusionWeights | None = None, taxonomy: list[dict] | None = None,
                  han_ability: float = 0.0, fusion=True) -> Matcher:
    matcher = Matcher(data.doc_vectors.shape[1], weights, taxonomy, han_ability=han_ability,
                      model_name=data.model_name or None, fusion=fusion)
    matcher.build(data.docs, data.doc_vectors)
    return matcher


def _rrf(*runs: list[str]) -> list[str]:
    scores: dict[str, float] = {}
    for run in runs:
        for rank, d in enumerate(run):
            scores[d] = scores.get(d, 0.0) + 1.0 / (60 + rank + 1)
    return sorted(scores, key=lambda d: -scores[d])[:100]


# Rows of the report: the project's systems, then the plain references they must beat.
PROJECT_SYSTEMS = ("hybrid", "lexical", "dense")
REFERENCE_SYSTEMS = ("bm25", "rrf")


def score(data: EvalData, matcher: Matcher, systems=None, per_query: bool = False, by_language: bool = True) -> dict:
    """{system: metrics} overall, plus {"by_language": {"han"|"latin": {system: metrics}}}.
    Systems: hybrid (the matcher), lexical (its BM25 signal alone), dense (its encoder alone),
    bm25 (plain BM25 over Han unigrams+bigrams and Latin words, no glossary), rrf (naive
    reciprocal-rank fusion of bm25 and dense), dense:<model> for each reference encoder."""
    col = matcher.collections["offering"]
    if systems is None:
        systems = PROJECT_SYSTEMS + REFERENCE_SYSTEMS + tuple(f"dense:{name}" for name in data.other_vectors)
    runs: dict[str, list[list[str]]] = {s: [] for s in systems}
    shown: list[list[tuple[float, bool]]] = []  # (score shown, relevant) of each hybrid top 10
    plain = LexicalIndex.build(list(range(len(data.docs))), [d.full_text() for d in data.docs], plain=True)
    _, dense_ids = col.search(data.query_vectors, 100)
    other_ids = {name: VectorIndex.build(list(range(len(data.docs))), dv).search(qv, 100)[1]
                 for name, (dv, qv) in data.other_vectors.items() if f"dense:{name}" in systems}
    for qi, q in enumerate(data.queries):
        text = q.full_text()
        dense = [data.corpus_ids[i] for i in dense_ids[qi] if i >= 0]
        bm25 = [data.corpus_ids[i] for i, _ in plain.top(plain.query(text), 100)]
        if "lexical" in systems:
            runs["lexical"].append([data.corpus_ids[i] for i, _ in col.lexical.top(col.lexical.query(text), 100)])
        if "dense" in systems:
            runs["dense"].append(dense)
        if "bm25" in systems:
            runs["bm25"].append(bm25)
        if "rrf" in systems:
            runs["rrf"].append(_rrf(bm25, dense))
        for name, ids in other_ids.items():
            runs[f"dense:{name}"].append([data.corpus_ids[i] for i in ids[qi] if i >= 0])
        if "hybrid" in systems:
            ranked = matcher.rank(q, data.query_vectors[qi], k=100, with_reasons=False)
            runs["hybrid"].append([data.corpus_ids[m.id] for m in ranked])
            shown.append([(m.score, data.qrels[data.query_ids[qi]].get(data.corpus_ids[m.id], 0) > 0) for m in ranked[:10]])
    out: dict = {}
    langs = [data.language(qi) for qi in range(len(data.queries))]
    per_lang: dict[str, dict] = {lang: {} for lang in sorted(set(langs))}
    for system, ranked_lists in runs.items():
        rows = [metrics(r, data.qrels[qid]) for r, qid in zip(ranked_lists, data.query_ids)]
        out[system] = _mean(rows)
        for lang in per_lang:
            per_lang[lang][system] = _mean([r for r, ql in zip(rows, langs) if ql == lang])
        if per_query:
            out[system + "_per_query"] = {qid: r["ndcg@10"] for qid, r in zip(data.query_ids, rows)}
    if by_language:
        out["by_language"] = per_lang
    if shown:
        out["reliability"] = reliability([p for rows in shown for p in rows])
        out["reliability_by_language"] = {lang: reliability([p for rows, ql in zip(shown, langs) if ql == lang for p in rows])
                                          for lang in per_lang}
    return out


RELIABILITY_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def reliability(pairs: list[tuple[float, bool]]) -> list[dict]:
    """Per bin of the score shown: how many pairs, their mean score and the share relevant
    (grade >= 1; unjudged pairs count as not relevant). Calibrated: the two columns agree."""
    rows = []
    for lo, hi in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:]):
        inside = [(p, r) for p, r in pairs if lo <= p < hi or (hi == 1.0 and p == 1.0)]
        if inside:
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "pairs": len(inside),
                         "predicted": round(float(np.mean([p for p, _ in inside])), 3),
                         "observed": round(float(np.mean([r for _, r in inside])), 3)})
    return rows


def run(folder: str | Path, qrels_name: str = "dev", encoder=None, weights: FusionWeights | None = None,
        taxonomy: list[dict] | None = None, include_rrf: bool = True, references=()) -> dict:
    """Overall and per-language metrics of the project's systems and the plain references."""
    if encoder is None:
        from .embeddings import get_encoder

        encoder = get_encoder("")
    data = prepare(folder, qrels_name, encoder, references=references)
    matcher = build_matcher(data, weights, taxonomy, encoder.han_ability)
    result = score(data, matcher)
    result["model"] = encoder.name
    result["fusion"] = "learned" if matcher.fusion is not None else "convex defaults"
    return result


def training_set(data: EvalData, matcher: Matcher) -> tuple[list[QueryCandidates], list[list[int]]]:
    """Each query's candidates (as rank() gathers them), their features and graded relevance."""
    col = matcher.collections["offering"]
    queries, gains = [], []
    for qi, q in enumerate(data.queries):
        ctx = matcher._context(q, data.query_vectors[qi], col)
        ids = np.fromiter(sorted(matcher._candidates(ctx, col, max(matcher.weights.candidates, 100), None)), np.int64)
        if not len(ids):
            continue
        signals = matcher._signals(q, ctx, col, ids)
        X = np.column_stack([signals[f] for f in FEATURES])
        rel_of = data.qrels[data.query_ids[qi]]
        rel = np.array([rel_of.get(data.corpus_ids[i], 0) for i in ids.tolist()], float)
        queries.append(QueryCandidates(data.language(qi), X, rel))
        gains.append(list(rel_of.values()))
    return queries, gains


def fit_fusion(data: EvalData, taxonomy: list[dict] | None, folder: str, qrels_name: str, han_ability: float = 1.0) -> FusionModel:
    """Fit the learned fusion and calibration on this split (call it with dev only)."""
    import sklearn

    matcher = build_matcher(data, None, taxonomy, han_ability, fusion=None)
    queries, gains = training_set(data, matcher)
    trained = {"folder": Path(folder).name, "qrels": qrels_name, "queries": len(queries),
               "pairs": int(sum(len(q.rel) for q in queries)), "method": "pairwise logistic regression per language (C by 5-fold CV over queries), guard vs single signals and RRF, Platt or isotonic calibration (by CV log-loss) on out-of-fold scores",
               "sklearn": sklearn.__version__, "date": date.today().isoformat(),
               "languages": {lang: sum(1 for q in queries if q.language == lang) for lang in ("han", "latin")}}
    return fusion_models.fit(queries, gains, data.model_name, trained=trained)


def tune(data: EvalData, matcher: Matcher, start: FusionWeights | None = None, grid: dict | None = None, rounds: int = 2) -> tuple[FusionWeights, float]:
    """Coordinate ascent of the convex fallback's hybrid nDCG@10 over the grid. Use dev only."""
    from dataclasses import replace

    best = start or FusionWeights()
    matcher.weights = best
    best_score = score(data, matcher, ("hybrid",), by_language=False)["hybrid"]["ndcg@10"]
    for _ in range(rounds):
        for name, values in (grid or TUNING_GRID).items():
            for value in values:
                matcher.weights = replace(best, **{name: value})
                s = score(data, matcher, ("hybrid",), by_language=False)["hybrid"]["ndcg@10"]
                if s > best_score + 1e-4:
                    best, best_score = matcher.weights, s
    matcher.weights = best
    return best, best_score


TUNING_GRID: dict[str, list[float]] = {
    "dense": [0.1, 0.2, 0.35, 0.5, 0.7],
    "lexical": [0.1, 0.2, 0.35, 0.5, 0.7],
    "scenario": [0.0, 0.1, 0.25, 0.4],
    "expansion": [0.0, 0.3, 0.6, 1.0],
    "industry": [0.0, 0.03, 0.1],
    "city": [0.0, 0.02, 0.05],
}


def format_table(results: dict) -> str:
    """The report as text: per language and overall, project rows then reference rows."""
    lines = [f"model {results.get('model', '?')}; fusion: {results.get('fusion', '?')}"]
    sections = [(f"{lang} queries", rows) for lang, rows in results.get("by_language", {}).items()]
    sections.append(("all queries", {k: v for k, v in results.items() if isinstance(v, dict) and "ndcg@10" in v}))
    for title, rows in sections:
        n = next(iter(rows.values()), {}).get("queries", 0)
        lines.append(f"\n{title} ({n})")
        lines.append(f"{'':28}{'nDCG@10':>9}{'MRR@10':>9}{'R@10':>9}{'R@100':>9}")
        for name, row in rows.items():
            label = name if name in PROJECT_SYSTEMS else f"ref {name}"
            lines.append(f"{label:28}{row['ndcg@10']:>9.4f}{row['mrr@10']:>9.4f}{row['recall@10']:>9.4f}{row['recall@100']:>9.4f}")
    tables = [("all queries", results.get("reliability"))]
    tables += [(f"{lang} queries", rows) for lang, rows in results.get("reliability_by_language", {}).items()]
    for title, rows in tables:
        if rows:
            lines.append(f"\nreliability of the hybrid's top-10 scores, {title}")
            lines.append(f"{'score bin':12}{'pairs':>8}{'predicted':>11}{'observed':>10}")
            lines += [f"{r['bin']:12}{r['pairs']:>8}{r['predicted']:>11.3f}{r['observed']:>10.3f}" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """python -m marketplace.matching.evaluate FOLDER [--qrels NAME] [--json] [--tune]"""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Evaluate the matcher on a BEIR folder.")
    parser.add_argument("folder")
    parser.add_argument("--qrels", default="dev")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout, nothing else")
    parser.add_argument("--tune", action="store_true", help="fit the fusion on this split (use dev only) and save it")
    parser.add_argument("--model", default="", help="EMBEDDING_MODEL ('' = multilingual-e5-small)")
    parser.add_argument("--reference-model", action="append", default=None, help="also report this encoder's dense row")
    parser.add_argument("--taxonomy", default=str(Path(__file__).resolve().parents[2] / "seeds" / "taxonomies" / "scenarios.json"))
    args = parser.parse_args(argv)
    from .embeddings import MINILM_NAME, get_encoder

    encoder = get_encoder(args.model)
    taxonomy = json.loads(Path(args.taxonomy).read_text(encoding="utf-8")) if Path(args.taxonomy).exists() else None
    if args.tune:
        data = prepare(args.folder, args.qrels, encoder)
        model = fit_fusion(data, taxonomy, args.folder, args.qrels, encoder.han_ability)
        print(model.save())
        return
    refs = [get_encoder(r) for r in (args.reference_model if args.reference_model is not None else [MINILM_NAME])]
    results = run(args.folder, args.qrels, encoder, taxonomy=taxonomy, references=refs)
    if args.json:
        sys.stdout.write(json.dumps(results) + "\n")
        return
    print(format_table(results))


if __name__ == "__main__":
    main()
