"""The matcher's development set (seeds/eval): a set that can fail must at least be well formed."""
from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "seeds" / "eval"
sys.path.insert(0, str(ROOT / "benchmarks"))

import eval_pools  # noqa: E402


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _tsv(path: Path) -> list[list[str]]:
    return [row for row in csv.reader(path.open(encoding="utf-8"), delimiter="\t") if row and row[0] != "query-id"]


def test_sizes_and_languages():
    queries, corpus = _jsonl("queries.jsonl"), _jsonl("corpus.jsonl")
    assert len(queries) >= 100 and len(corpus) >= 250
    assert len({q["_id"] for q in queries}) == len(queries) and len({c["_id"] for c in corpus}) == len(corpus)
    langs = Counter(eval_pools.language(q) for q in queries)
    assert 0.55 <= langs["zh"] / len(queries) <= 0.75, langs
    assert Counter(eval_pools.language(c) for c in corpus)["en"] >= 50


def test_dev_and_test_are_disjoint_and_every_query_has_a_relevant_offering():
    corpus_ids = {c["_id"] for c in _jsonl("corpus.jsonl")}
    query_ids = {q["_id"] for q in _jsonl("queries.jsonl")}
    splits = {name: _tsv(EVAL / "qrels" / f"{name}.tsv") for name in ("dev", "test")}
    dev_q, test_q = ({row[0] for row in rows} for rows in splits.values())
    assert not dev_q & test_q
    assert dev_q | test_q == query_ids
    for rows in splits.values():
        assert {row[1] for row in rows} <= corpus_ids
        assert {int(row[2]) for row in rows} <= {0, 1, 2}
        relevant = Counter(row[0] for row in rows if int(row[2]) > 0)
        assert all(relevant[q] > 0 for q in {row[0] for row in rows})


def test_every_pooled_pair_is_graded_and_the_qrels_are_the_grades():
    grades = {(r[0], r[1]): r[2] for r in _tsv(EVAL / "judging" / "grades.tsv")}
    pooled = {(r[0], r[1]) for r in _tsv(EVAL / "judging" / "pool.tsv")}
    assert pooled <= set(grades)
    qrels = {(r[0], r[1]): r[2] for name in ("dev", "test") for r in _tsv(EVAL / "qrels" / f"{name}.tsv")}
    assert qrels == grades


def test_plain_bm25_reads_han_characters_bigrams_and_latin_words():
    assert eval_pools.plain_tokens("砂眼 AOI-2") == ["砂", "眼", "砂眼", "aoi", "2"]
    bm25 = eval_pools.PlainBM25(["铸件砂眼检测", "医院护士排班", "AOI false calls"])
    assert bm25.scores("砂眼").argmax() == 0 and bm25.scores("aoi").argmax() == 2
