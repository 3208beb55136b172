"""Hybrid ranking: dense + lexical + structured signals, fused by the learned fusion (fusion.py;
convexly without one), with reasons in zh/en.

Per direction (offerings for a demand, demands for an offering) a Collection holds the FAISS
index, the lexical index and the documents' metadata. rank() gathers candidates from dense
top-N, lexical top-N (the query expanded with the vocabulary of its inferred scenarios) and a
dense top-N among the documents written in the other script, scores their union exactly and
explains the top k.
"""
from __future__ import annotations

import json
import math
import pickle
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from . import fusion as fusion_models
from .fusion import STRONG_MATCH_PROBABILITY, FusionModel
from .index import DEFAULT_APPROX_THRESHOLD, VectorIndex
from .lexical import LexicalIndex
from .taxonomy_inference import ScenarioInferer
from .text import add_words, assemble, format_amount_range, han_share, words

KINDS = ("demand", "offering")
# Bump when scores change meaning (features, fusion, calibration): stored matches computed by
# another version are refreshed in the background.
MATCHER_VERSION = "3"
# Bump when the saved index's layout changes (scores do not): a worker rebuilds an index saved in
# another layout from the stored vectors. 2: one vector index per script.
INDEX_FORMAT = 2
SCRIPT_FOLDERS = {True: "vectors-han", False: "vectors-latin"}


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str


@dataclass
class MatchDocument:
    id: int
    kind: str  # "demand" | "offering"
    title: str = ""
    text: str = ""
    industries: frozenset[str] = frozenset()
    chains: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    scenarios: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    budget_min: float | None = None  # 万元; a demand's budget or an offering's price range
    budget_max: float | None = None
    owner_id: int | None = None  # the demand's firm or the offering's provider
    pool_ids: frozenset[int] = frozenset()  # demand: pools covering it; offering: pools its provider is admitted to
    rating_avg: float | None = None
    rating_count: int = 0
    awarded_count: int = 0
    metadata: dict = field(default_factory=dict)

    def full_text(self) -> str:
        return assemble(self.title, self.text)


@dataclass
class Match:
    id: int
    score: float  # 0..1: the calibrated probability of relevance when calibrated is True
    signals: dict[str, float]
    reasons: list[Reason]
    calibrated: bool = False

    @property
    def strong(self) -> bool:
        """A good fit: probability of relevance at least STRONG_MATCH_PROBABILITY."""
        return self.score >= STRONG_MATCH_PROBABILITY


@dataclass
class FusionWeights:
    """Weights of the convex combination; each signal is normalized to 0..1 first.

    Defaults were chosen on seeds/eval qrels/dev.tsv (evaluate.tune, then rounded towards
    evenly spread weights: the dev set's relevance is scenario-heavy, so the tuner's optimum
    of even more scenario weight would overfit it). Weights of signals a query lacks (no city,
    no budget...) are dropped and the rest renormalized; dense is scaled by dense_factor.
    """

    dense: float = 0.35
    lexical: float = 0.2
    scenario: float = 0.3
    industry: float = 0.03
    chain: float = 0.02
    stage: float = 0.02
    city: float = 0.05
    budget: float = 0.02
    pool: float = 0.01
    track: float = 0.01
    expansion: float = 0.6  # weight of scenario vocabulary added to the lexical query
    candidates: int = 100  # dense top-N and lexical top-N gathered before exact re-scoring

    @classmethod
    def from_mapping(cls, values: dict | None) -> "FusionWeights":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in names})


SIGNALS = ("dense", "lexical", "scenario", "industry", "chain", "stage", "city", "budget", "pool", "track")
# Query-relative, expansion and language features the learned fusion also uses (fusion.FEATURES).
EXTRA_FEATURES = ("dense_z", "dense_zl", "lexical_rel", "lexical_z", "expanded", "expanded_z", "same_language")
# Dense candidates gathered among the documents written in the other script: e5 places a Chinese
# demand nearer to every Chinese offering than to the English offering that fits it, so without
# this pass a fitting offering in the other language never reaches the candidates.
CROSS_CANDIDATES = 20


class Collection:
    """One side of the market: vectors, lexical index and metadata of its documents.

    Vectors are kept in one index per script (Han-majority and Latin-majority documents): the
    cross-language candidate pass then searches the other script's index whole, instead of
    building an id filter over every document of that script for each query."""

    def __init__(self, dim: int, approx_threshold: int = DEFAULT_APPROX_THRESHOLD) -> None:
        self.dim = dim
        self.approx_threshold = approx_threshold
        self.vectors = {han: VectorIndex(dim, approx_threshold) for han in (True, False)}  # han? -> index
        self.lexical = LexicalIndex()
        self.docs: dict[int, MatchDocument] = {}
        self.scenario_dist: dict[int, dict[str, float]] = {}
        self.no_vector: set[int] = set()  # documents indexed for text only (no stored vector yet)
        self.han_docs: set[int] = set()  # documents written mostly in Han script (the others: Latin)
        self.latin_docs: set[int] = set()

    def set_script(self, doc: MatchDocument) -> bool:
        """Record the script doc is written in; True when it is Han."""
        han = han_share(doc.full_text()) >= 0.5
        (self.han_docs if han else self.latin_docs).add(doc.id)
        (self.latin_docs if han else self.han_docs).discard(doc.id)
        return han

    def forget_script(self, doc_id: int) -> None:
        self.han_docs.discard(doc_id)
        self.latin_docs.discard(doc_id)

    # -- vectors -------------------------------------------------------------------------------
    def vector_count(self) -> int:
        return sum(len(index) for index in self.vectors.values())

    def set_vector(self, doc_id: int, han: bool, vector: np.ndarray | None) -> None:
        """Store (or, with None, drop) a document's vector in its script's index; an edit that
        changed the script moves it."""
        self.vectors[not han].remove([doc_id])
        if vector is None:
            self.vectors[han].remove([doc_id])
        else:
            self.vectors[han].add([doc_id], np.asarray(vector, np.float32).reshape(1, -1))

    def remove_vector(self, doc_id: int) -> None:
        for index in self.vectors.values():
            index.remove([doc_id])

    def build_vectors(self, ids, vectors: np.ndarray) -> None:
        """Bulk build both script indexes (set_script must have run for these ids)."""
        ids = np.asarray(ids, np.int64)
        vectors = np.asarray(vectors, np.float32).reshape(len(ids), self.dim)
        han = np.fromiter((i in self.han_docs for i in ids.tolist()), bool, len(ids))
        self.vectors = {h: VectorIndex.build(ids[han == h], vectors[han == h], self.approx_threshold, dim=self.dim)
                        for h in (True, False)}

    def search_scripts(self, queries, k: int, allowed_ids=None) -> dict[bool, tuple[np.ndarray, np.ndarray]]:
        """Top-k (scores, ids) per query row in each script's index (han True/False)."""
        q = np.asarray(queries, np.float32).reshape(-1, self.dim)
        return {han: index.search(q, k, allowed_ids) for han, index in self.vectors.items() if len(index)}

    def search(self, queries, k: int, allowed_ids=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row over both scripts; missing slots have id -1."""
        q = np.asarray(queries, np.float32).reshape(-1, self.dim)
        return merge_top(self.search_scripts(q, k, allowed_ids).values(), k, len(q))

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors of these ids (all must have one), in their order."""
        ids = np.asarray(ids, np.int64)
        out = np.zeros((len(ids), self.dim), np.float32)
        han = np.fromiter((i in self.han_docs for i in ids.tolist()), bool, len(ids))
        for h in (True, False):
            if (han == h).any():
                out[han == h] = self.vectors[h].reconstruct(ids[han == h])
        return out

    def __len__(self) -> int:
        return len(self.docs)


class Matcher:
    def __init__(
        self,
        dim: int,
        weights: FusionWeights | None = None,
        taxonomy: list[dict] | None = None,
        labels: dict[str, tuple[str, str]] | None = None,
        han_ability: float = 0.0,
        approx_threshold: int = DEFAULT_APPROX_THRESHOLD,
        model_name: str | None = None,
        fusion: FusionModel | None | bool = True,
    ) -> None:
        """han_ability: how well the encoder reads Chinese (Encoder.han_ability: 0 blind .. 1).
        model_name: the encoder's name; selects the fitted fusion (fusion/<model_name>.json).
        fusion: True = load that file if present, None/False = convex weights only, or a model."""
        self.dim = dim
        self.weights = weights or FusionWeights()
        self.taxonomy = taxonomy or []
        self.inferer = ScenarioInferer(self.taxonomy)
        add_words(self.inferer.han_terms())
        self.labels = dict(labels or {})
        for code, pair in self.inferer.labels.items():
            self.labels.setdefault(code, pair)
        self.han_ability = han_ability
        self.approx_threshold = approx_threshold
        self.model_name = model_name
        self.fusion: FusionModel | None = fusion_models.load_for(model_name) if fusion is True else (fusion or None)
        self.collections = {kind: Collection(dim, approx_threshold) for kind in KINDS}
        # Each scenario's vocabulary, added (lightly weighted) to queries inferred to be about it.
        vocab: dict[str, list[str]] = {code: [] for code in self.inferer.labels}
        for code, term, _weight, _latin in self.inferer.terms:
            vocab[code].append(term)
        self._expansion_text = {code: " ".join(terms) for code, terms in vocab.items()}
        # Writes mutate numpy/FAISS structures in place: one lock keeps readers consistent.
        self._lock = threading.RLock()

    # -- writes ---------------------------------------------------------------------------------
    def scenarios_of(self, doc: MatchDocument) -> dict[str, float]:
        """Tagged scenarios at full confidence, else inferred ones with their confidence."""
        if doc.scenarios:
            return {code: 1.0 for code in doc.scenarios}
        return {g.code: g.confidence for g in self.inferer.predict(doc.full_text())}

    def _upsert_unlocked(self, doc: MatchDocument, vector: np.ndarray | None) -> None:
        col = self.collections[doc.kind]
        col.set_vector(doc.id, col.set_script(doc), vector)
        if vector is not None:
            col.no_vector.discard(doc.id)
        else:
            col.no_vector.add(doc.id)
        col.lexical.add(doc.id, doc.full_text())
        col.docs[doc.id] = doc
        col.scenario_dist[doc.id] = self.scenarios_of(doc)

    def _remove_unlocked(self, kind: str, doc_id: int) -> None:
        col = self.collections[kind]
        col.remove_vector(doc_id)
        col.lexical.remove(doc_id)
        col.docs.pop(doc_id, None)
        col.scenario_dist.pop(doc_id, None)
        col.no_vector.discard(doc_id)
        col.forget_script(doc_id)

    def _build_unlocked(self, docs: Iterable[MatchDocument], vectors: np.ndarray) -> None:
        """Replace one or both sides in bulk from documents and their stored vectors (same order)."""
        docs = list(docs)
        vectors = np.asarray(vectors, np.float32).reshape(len(docs), self.dim)
        for kind in KINDS:
            rows = [i for i, d in enumerate(docs) if d.kind == kind]
            if not rows:
                continue
            col = Collection(self.dim, self.approx_threshold)
            ids = [docs[i].id for i in rows]
            for i in rows:
                col.set_script(docs[i])
            col.build_vectors(ids, vectors[rows])
            col.lexical = LexicalIndex.build(ids, [docs[i].full_text() for i in rows])
            col.docs = {docs[i].id: docs[i] for i in rows}
            col.scenario_dist = {docs[i].id: self.scenarios_of(docs[i]) for i in rows}
            self.collections[kind] = col

    # -- ranking --------------------------------------------------------------------------------
    def dense_factor(self, query_text: str) -> float:
        """Share of the dense weight kept: the English model is blind to Han text, so Chinese
        queries move weight to lexical and taxonomy signals instead of adding noise."""
        return 1.0 - han_share(query_text) * (1.0 - self.han_ability)

    def _rank_unlocked(
        self,
        query: MatchDocument,
        query_vector: np.ndarray | None,
        k: int = 10,
        allowed: Callable[[MatchDocument], bool] | set[int] | frozenset[int] | None = None,
        with_reasons: bool = True,
    ) -> list[Match]:
        target = "offering" if query.kind == "demand" else "demand"
        col = self.collections[target]
        if not len(col) or k <= 0:
            return []
        if isinstance(allowed, (set, frozenset)) and not allowed:
            return []
        ctx = self._context(query, query_vector, col)
        id_set = allowed if isinstance(allowed, (set, frozenset)) else None
        check = allowed if callable(allowed) else None
        n = max(self.weights.candidates, k)
        while True:
            cand = self._candidates(ctx, col, n, id_set)
            if check is not None:
                cand = {i for i in cand if check(col.docs[i])}
            if len(cand) >= k or n >= len(col):
                break
            n *= 4  # a strict filter removed too many: widen the net
        if not cand:
            return []
        ids = np.fromiter(sorted(cand), np.int64, len(cand))
        signals = self._signals(query, ctx, col, ids)
        raw, scores = self._fuse(signals, query, ctx)
        order = np.lexsort((ids, -raw))[:k]  # best raw score first; ties by id, so runs agree
        out = []
        for j in order:
            sig = {name: float(values[j]) for name, values in signals.items()}
            doc = col.docs[int(ids[j])]
            reasons = self._reasons(query, doc, ctx, col, sig) if with_reasons else []
            out.append(Match(int(ids[j]), round(float(scores[j]), 4), sig, reasons, self.fusion is not None))
        return out

    def _context(self, query: MatchDocument, query_vector, col: Collection) -> dict:
        """What every candidate of this query is scored against (computed once per query)."""
        text = query.full_text()
        q_scen = self.scenarios_of(query)
        has_vector = query_vector is not None and col.vector_count() > 0
        plain = col.lexical.query(text)
        expanded = self._lexical_query(col, text, q_scen)
        ctx = {
            "text": text, "q_scen": q_scen, "han": han_share(text),
            "vector": np.asarray(query_vector, np.float32).reshape(-1) if has_vector else None,
            "dense_factor": self.dense_factor(text) if has_vector else 0.0,
            "plain": plain, "expanded": expanded,
            "plain_bound": col.lexical.upper_bound(plain), "expanded_bound": col.lexical.upper_bound(expanded),
            # Bare numbers ("90", "2026") are shared by chance; they are no evidence to show in reasons.
            "words": {t for t in words(text) if not _is_number(t)},
        }
        return ctx

    def _candidates(self, ctx: dict, col: Collection, n: int, id_set) -> set[int]:
        """The union of dense top-n, lexical top-n and expanded-lexical top-n: a document that any
        one signal ranks highly is scored, so fusion never loses what a single signal finds."""
        cand: set[int] = set()
        if ctx["vector"] is not None:
            # One search per script serves both passes: the dense top-n over both, and the top
            # CROSS_CANDIDATES of the other script (a prefix of its top-n).
            by_script = col.search_scripts(ctx["vector"], max(n, CROSS_CANDIDATES), id_set)
            if self.fusion is not None or ctx["dense_factor"] > 0.02:
                _, dense_ids = merge_top(by_script.values(), n, 1)
                cand.update(int(i) for i in dense_ids[0] if i >= 0)
            if (ctx["han"] < 0.5) in by_script:
                _, cross_ids = by_script[ctx["han"] < 0.5]
                cand.update(int(i) for i in cross_ids[0][:CROSS_CANDIDATES] if i >= 0)
        cand.update(i for i, _ in col.lexical.top(ctx["plain"], n, id_set, max_df=0.05))
        cand.update(i for i, _ in col.lexical.top(ctx["expanded"], n, id_set, max_df=0.05))
        return {i for i in cand if i in col.docs and (id_set is None or i in id_set)}

    def _explain_unlocked(self, query: MatchDocument, candidate_id: int, query_vector: np.ndarray | None = None) -> Match | None:
        """The full signal breakdown and reasons for one pair (the "why this match" page). The
        score equals the one rank() gives the pair: query-relative features are taken against the
        same candidate set rank() uses."""
        target = "offering" if query.kind == "demand" else "demand"
        col = self.collections[target]
        if candidate_id not in col.docs:
            return None
        ctx = self._context(query, query_vector, col)
        cand = self._candidates(ctx, col, max(self.weights.candidates, 10), None) | {candidate_id}
        ids = np.fromiter(sorted(cand), np.int64, len(cand))
        signals = self._signals(query, ctx, col, ids)
        raw, scores = self._fuse(signals, query, ctx)
        j = int(np.flatnonzero(ids == candidate_id)[0])
        sig = {name: float(v[j]) for name, v in signals.items()}
        reasons = self._reasons(query, col.docs[candidate_id], ctx, col, sig)
        return Match(candidate_id, round(float(scores[j]), 4), sig, reasons, self.fusion is not None)

    def _lexical_query(self, col: Collection, text: str, q_scen: dict[str, float]):
        """The query's own terms plus, lightly weighted, the vocabulary of its scenarios, so
        plain words ("砂眼") also reach documents written in vendor terms ("缺陷检测")."""
        w = self.weights.expansion / 10.0
        expansions = [(self._expansion_text[c], w * conf) for c, conf in q_scen.items() if c in self._expansion_text and w > 0]
        return col.lexical.query(text, expansions)

    # -- public, thread-safe API -------------------------------------------------------------
    def upsert(self, doc: MatchDocument, vector: np.ndarray | None) -> None:
        """Insert or replace a document; vector None = matched by text and taxonomy only."""
        with self._lock:
            self._upsert_unlocked(doc, vector)

    def remove(self, kind: str, doc_id: int) -> None:
        with self._lock:
            self._remove_unlocked(kind, doc_id)

    def build(self, docs: Iterable[MatchDocument], vectors: np.ndarray) -> None:
        """Replace the sides present in docs in bulk, from their stored vectors (same order)."""
        with self._lock:
            self._build_unlocked(docs, vectors)

    def rank(self, query: MatchDocument, query_vector: np.ndarray | None, k: int = 10,
             allowed: Callable[[MatchDocument], bool] | set[int] | frozenset[int] | None = None,
             with_reasons: bool = True) -> list[Match]:
        """Top-k documents of the other side for query, best first, with reasons.
        allowed: an id set or a predicate on MatchDocument (hard filters: visibility, status)."""
        with self._lock:
            return self._rank_unlocked(query, query_vector, k, allowed, with_reasons)

    def explain(self, query: MatchDocument, candidate_id: int, query_vector: np.ndarray | None = None) -> Match | None:
        """The full signal breakdown and reasons for one pair (the "why this match" page)."""
        with self._lock:
            return self._explain_unlocked(query, candidate_id, query_vector)

    # -- signals --------------------------------------------------------------------------------
    def _signals(self, query, ctx, col, ids) -> dict[str, np.ndarray]:
        """Every signal of every candidate, each in 0..1. dense and lexical are absolute (cosine;
        BM25 over its upper bound), *_rel are relative to the best candidate of this query."""
        n = len(ids)
        q_scen = ctx["q_scen"]
        sig: dict[str, np.ndarray] = {}
        if ctx["vector"] is not None:
            has = np.array([i not in col.no_vector for i in ids.tolist()], bool)
            cos = np.zeros(n)
            if has.any():
                cos[has] = col.reconstruct(ids[has]) @ ctx["vector"]
            sig["dense"] = np.clip(cos, 0.0, 1.0)
        else:
            sig["dense"] = np.zeros(n)
        lex = col.lexical.score_ids(ctx["plain"], ids)
        sig["lexical"] = lex / ctx["plain_bound"] if ctx["plain_bound"] > 0 else np.zeros(n)
        top = float(lex.max()) if n else 0.0
        sig["lexical_rel"] = lex / top if top > 0 else np.zeros(n)
        exp = col.lexical.score_ids(ctx["expanded"], ids)
        sig["expanded"] = exp / ctx["expanded_bound"] if ctx["expanded_bound"] > 0 else np.zeros(n)
        # Standardized within this query's candidates (the learned fusion's ranking features), and
        # dense also within each script's candidates (cross-language cosines run lower).
        same = col.han_docs if ctx["han"] >= 0.5 else col.latin_docs
        sig["same_language"] = np.fromiter((i in same for i in ids.tolist()), float, n)
        for name in ("dense", "lexical", "expanded"):
            sig[name + "_z"] = _standardize(sig[name])
        sig["dense_zl"] = np.zeros(n)
        for group in (sig["same_language"] == 1, sig["same_language"] == 0):
            sig["dense_zl"][group] = _standardize(sig["dense"][group])
        docs = [col.docs[int(i)] for i in ids]
        q_total = sum(q_scen.values())
        scen = []
        for i in ids.tolist():
            c = col.scenario_dist.get(i, {})
            shared = sum(conf * min(1.0, 2.0 * c[code]) for code, conf in q_scen.items() if code in c)
            scen.append(shared / max(1.0, q_total))  # weak evidence (low confidence) counts less
        sig["scenario"] = np.array(scen)
        sig["industry"] = np.array([_industry_overlap(query.industries, d.industries) for d in docs], float)
        sig["chain"] = np.array([float(bool(query.chains & d.chains)) for d in docs])
        sig["stage"] = np.array([float(bool(query.stages & d.stages)) for d in docs])
        sig["city"] = np.array([float(bool(query.cities & d.cities)) for d in docs])
        sig["budget"] = np.array([_budget_fit(query, d) for d in docs])
        sig["pool"] = np.array([float(bool(query.pool_ids & d.pool_ids)) for d in docs])
        sig["track"] = np.array([_track_record(d) for d in docs])
        return sig

    def _active_weights(self, query: MatchDocument, dense_factor: float) -> dict[str, float]:
        w = self.weights
        active = {
            "dense": w.dense * dense_factor,
            "lexical": w.lexical,
            "scenario": w.scenario,
            "industry": w.industry if query.industries else 0.0,
            "chain": w.chain if query.chains else 0.0,
            "stage": w.stage if query.stages else 0.0,
            "city": w.city if query.cities else 0.0,
            "budget": w.budget if query.budget_min is not None or query.budget_max is not None else 0.0,
            "pool": w.pool if query.pool_ids else 0.0,
            "track": w.track if query.kind == "demand" else 0.0,
        }
        total = sum(active.values())
        return {k: v / total for k, v in active.items()} if total > 0 else active

    def _fuse(self, signals: dict[str, np.ndarray], query: MatchDocument, ctx: dict) -> tuple[np.ndarray, np.ndarray]:
        """(raw scores to order by, scores to show). With a fitted fusion: its linear score and
        the calibrated probability; without: the convex combination (uncalibrated) for both."""
        if self.fusion is not None:
            return self.fusion.score(signals, ctx["han"])
        weights = self._active_weights(query, ctx["dense_factor"])
        convex = sum(weights[name] * (signals["lexical_rel"] if name == "lexical" else signals[name]) for name in SIGNALS)
        return convex, convex

    # -- reasons --------------------------------------------------------------------------------
    def _label(self, code: str) -> tuple[str, str]:
        return self.labels.get(code, (code, code))

    def _reasons(self, query, doc, ctx, col, sig) -> list[Reason]:
        out: list[Reason] = []
        q_scen = ctx["q_scen"]
        if ctx["dense_factor"] > 0.3 and sig["dense"] >= 0.3:
            out.append(Reason("similarity", f"语义相似度 {sig['dense']:.2f}", f"Semantic similarity {sig['dense']:.2f}"))
        shared = ctx["words"] & set(words(doc.full_text()))
        if shared:
            terms = sorted(shared, key=lambda t: (-col.lexical.term_idf(t), t))[:5]
            out.append(Reason("shared_terms", "共同关键词：" + "、".join(terms), "Shared terms: " + ", ".join(terms)))
        c_scen = col.scenario_dist.get(doc.id, {})
        matched = [code for code in q_scen if code in c_scen]
        if matched:
            zh = "、".join(self._label(c)[0] for c in matched)
            en = ", ".join(self._label(c)[1] for c in matched)
            inferred = not query.scenarios
            evidence = [t for g in self.inferer.predict(query.full_text()) if g.code in matched for t in g.terms][:4] if inferred else []
            if evidence:
                out.append(Reason("scenario", f"场景匹配：{zh}（依据需求中的“{'、'.join(evidence)}”）", f"Scenario match: {en} (from \"{', '.join(evidence)}\")"))
            else:
                out.append(Reason("scenario", f"场景匹配：{zh}", f"Scenario match: {en}"))
        for name, attr, zh_word, en_word in (("industry", "industries", "行业", "Industry"), ("chain", "chains", "产业链", "Chain"), ("city", "cities", "城市", "City")):
            if sig[name] > 0:
                qa, da = getattr(query, attr), getattr(doc, attr)
                codes = sorted(qa & da) or sorted(da)
                zh = "、".join(self._label(c)[0] for c in codes[:3])
                en = ", ".join(self._label(c)[1] for c in codes[:3])
                out.append(Reason(name, f"{zh_word}匹配：{zh}", f"{en_word} match: {en}"))
        if sig["pool"] > 0:
            out.append(Reason("pool", "服务商已入选覆盖该需求的资源池", "Provider admitted to a pool covering this demand"))
        if _has_range(query) and _has_range(doc) and sig["budget"] >= 0.99:
            demand, offer = (query, doc) if query.kind == "demand" else (doc, query)
            price_zh, price_en = _fmt_range(offer, False), _fmt_range(offer, True)
            budget_zh, budget_en = _fmt_range(demand, False), _fmt_range(demand, True)
            if _within(offer, demand):
                out.append(Reason("budget", f"报价 {price_zh} 在预算 {budget_zh} 之内", f"Price {price_en} is within the budget {budget_en}"))
            else:
                out.append(Reason("budget", f"报价 {price_zh} 与预算 {budget_zh} 有重叠", f"Price {price_en} overlaps the budget {budget_en}"))
        if doc.kind == "offering" and (doc.rating_count or doc.awarded_count):
            rating = f"{doc.rating_avg:.1f}" if doc.rating_avg is not None else "-"
            if doc.rating_count:
                zh = f"评分 {rating}（{doc.rating_count} 条评价），已中标 {doc.awarded_count} 次"
                en = f"Rated {rating} ({doc.rating_count} reviews), {doc.awarded_count} awards"
            else:
                zh, en = f"已中标 {doc.awarded_count} 次，暂无评价", f"{doc.awarded_count} awards, no reviews yet"
            out.append(Reason("track_record", zh, en))
        return out

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: str | Path, meta: dict | None = None) -> None:
        folder = Path(folder)
        for kind, col in self.collections.items():
            sub = folder / kind
            for han, index in col.vectors.items():
                index.save(sub / SCRIPT_FOLDERS[han])
            col.lexical.save(sub)
            with open(sub / "docs.pkl.tmp", "wb") as fh:
                pickle.dump((col.docs, col.scenario_dist, col.no_vector, col.han_docs, col.latin_docs), fh,
                            protocol=pickle.HIGHEST_PROTOCOL)
            (sub / "docs.pkl.tmp").replace(sub / "docs.pkl")
        manifest = {"dim": self.dim, "weights": asdict(self.weights), "han_ability": self.han_ability,
                    "model_name": self.model_name, "matcher_version": MATCHER_VERSION, "index_format": INDEX_FORMAT,
                    "meta": meta or {}}
        (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))

    @staticmethod
    def read_meta(folder: str | Path) -> dict | None:
        """The meta dict given to save() (e.g. model name and a fingerprint), or None."""
        path = Path(folder) / "manifest.json"
        return json.loads(path.read_text()).get("meta") if path.exists() else None

    @classmethod
    def load(cls, folder: str | Path, weights: FusionWeights | None = None, taxonomy: list[dict] | None = None, labels=None,
             han_ability: float | None = None, approx_threshold: int = DEFAULT_APPROX_THRESHOLD,
             model_name: str | None = None) -> "Matcher":
        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        if manifest.get("matcher_version") != MATCHER_VERSION:
            raise ValueError(f"index in {folder} was saved by matcher {manifest.get('matcher_version')}, not {MATCHER_VERSION}")
        if manifest.get("index_format", 1) != INDEX_FORMAT:
            raise ValueError(f"index in {folder} has layout {manifest.get('index_format', 1)}, not {INDEX_FORMAT}: rebuild it")
        matcher = cls(manifest["dim"], weights or FusionWeights.from_mapping(manifest["weights"]), taxonomy, labels,
                      manifest["han_ability"] if han_ability is None else han_ability, approx_threshold,
                      model_name or manifest.get("model_name"))
        for kind in KINDS:
            sub = folder / kind
            col = Collection(matcher.dim, approx_threshold)
            col.vectors = {han: VectorIndex.load(sub / name) for han, name in SCRIPT_FOLDERS.items()}
            col.lexical = LexicalIndex.load(sub)
            with open(sub / "docs.pkl", "rb") as fh:
                col.docs, col.scenario_dist, col.no_vector, col.han_docs, col.latin_docs = pickle.load(fh)
            matcher.collections[kind] = col
        return matcher


def merge_top(found, k: int, n_queries: int) -> tuple[np.ndarray, np.ndarray]:
    """The best k (scores, ids) per row of several searches' results; missing slots have id -1."""
    found = list(found)
    if not found:
        return np.zeros((n_queries, 0), np.float32), np.zeros((n_queries, 0), np.int64)
    scores = np.concatenate([s for s, _ in found], axis=1)
    ids = np.concatenate([i for _, i in found], axis=1)
    scores = np.where(ids >= 0, scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1)


def _standardize(x: np.ndarray) -> np.ndarray:
    """(x - mean) / std over this query's candidates; zeros when they do not differ."""
    sd = float(x.std()) if len(x) else 0.0
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros(len(x))


def _industry_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """1 for the same code, also when one is a finer code of the other (C34 vs C3411)."""
    if not a or not b:
        return 0.0
    return float(any(x.startswith(y) or y.startswith(x) for x in a for y in b))


def _is_number(term: str) -> bool:
    return term.replace(".", "", 1).replace(",", "").isdigit()


def _has_range(doc: MatchDocument) -> bool:
    return doc.budget_min is not None or doc.budget_max is not None


def _fmt_range(doc: MatchDocument, english: bool) -> str:
    return format_amount_range(doc.budget_min, doc.budget_max, english)


def _within(offer: MatchDocument, demand: MatchDocument) -> bool:
    """The whole price range lies inside the budget range."""
    b_lo, b_hi = demand.budget_min or 0.0, demand.budget_max if demand.budget_max is not None else math.inf
    p_lo, p_hi = offer.budget_min or 0.0, offer.budget_max if offer.budget_max is not None else math.inf
    return b_lo <= p_lo and p_hi <= b_hi


def _budget_fit(query: MatchDocument, doc: MatchDocument) -> float:
    """1 when the price range meets the budget range; falls with the gap; 0.5 when unknown."""
    if not _has_range(query) or not _has_range(doc):
        return 0.5
    demand, offer = (query, doc) if query.kind == "demand" else (doc, query)
    b_lo, b_hi = demand.budget_min or 0.0, demand.budget_max if demand.budget_max is not None else math.inf
    p_lo, p_hi = offer.budget_min or 0.0, offer.budget_max if offer.budget_max is not None else math.inf
    if p_lo <= b_hi and b_lo <= p_hi:
        return 1.0
    if p_lo > b_hi:  # too expensive: the budget covers only part of the cheapest price
        return max(0.0, b_hi / p_lo) if p_lo > 0 else 0.0
    return 0.8  # cheaper than the budget: affordable, perhaps under-scoped


def _track_record(doc: MatchDocument) -> float:
    """Bayesian-averaged rating (prior 3.5 of 5 over 5 reviews) blended with awards won."""
    rating = ((doc.rating_avg or 0.0) * doc.rating_count + 3.5 * 5) / (doc.rating_count + 5) / 5.0
    awards = math.log1p(doc.awarded_count) / math.log1p(20)
    return 0.7 * rating + 0.3 * min(1.0, awards)

