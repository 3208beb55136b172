"""BM25 over hashed term counts (scikit-learn HashingVectorizer), updated incrementally.

Term counts live in a column-major (CSC) main matrix plus a small delta of recent rows;
document frequencies, lengths and the live count are kept exactly, so a score after any
sequence of adds/removes equals the score of a fresh build. Removed rows are tombstoned and
dropped when the delta is merged.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from .text import STOPWORDS, _stem, analyze, analyze_plain

N_FEATURES = 2**20


def _identity(tokens):
    return tokens


def make_vectorizer() -> HashingVectorizer:
    # Token lists go in; counts come out (no sign flipping, no normalization).
    return HashingVectorizer(analyzer=_identity, n_features=N_FEATURES, alternate_sign=False, norm=None, dtype=np.float32)


_VECTORIZER = make_vectorizer()
# Hashed columns of stopwords: they stay in the index (a document sharing only common words with
# the query is still a candidate) but weigh little in a query (STOPWORD_QUERY_WEIGHT).
_STOP_COLS = np.unique(_VECTORIZER.transform([[_stem(w) for w in STOPWORDS] + list(STOPWORDS)]).indices).astype(np.int64)
STOPWORD_QUERY_WEIGHT = 0.1


def _tokens(text: str, use_words: bool, plain: bool) -> list[str]:
    return analyze_plain(text) if plain else analyze(text, use_words)


@lru_cache(maxsize=50_000)
def _term_cols(term: str, use_words: bool, plain: bool = False) -> np.ndarray:
    return _VECTORIZER.transform([_tokens(term, use_words, plain)]).indices.astype(np.int64)


@lru_cache(maxsize=256)
def _phrase_row(phrase: str, use_words: bool, plain: bool = False) -> sp.csr_matrix:
    """Hashed, capped counts of a fixed phrase (scenario vocabularies repeat across queries)."""
    return _VECTORIZER.transform([_tokens(phrase, use_words, plain)]).minimum(1).tocsr()


@lru_cache(maxsize=64)
def _query_row(text: str, use_words: bool, plain: bool) -> sp.csr_matrix:
    """Hashed counts of a query text, repeats capped: a word said five times is not five times the
    evidence. Cached because a ranking asks for the plain and the expanded query of one text."""
    row = _VECTORIZER.transform([_tokens(text, use_words, plain)]).minimum(2).tocsr()
    row.sum_duplicates()
    return row


class LexicalQuery:
    """Hashed query terms with weights (query term counts, plus optional expansion terms)."""

    def __init__(self, cols: np.ndarray, weights: np.ndarray) -> None:
        self.cols = cols
        self.weights = weights

    def __bool__(self) -> bool:
        return bool(len(self.cols))


class LexicalIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75, use_words: bool = True, plain: bool = False) -> None:
        """plain: the reference analyzer (text.analyze_plain) instead of the project's."""
        self.k1, self.b, self.use_words, self.plain = k1, b, use_words, plain
        self.vectorizer = make_vectorizer()
        self.df = np.zeros(N_FEATURES, dtype=np.int32)
        self._main = sp.csc_matrix((0, N_FEATURES), dtype=np.float32)
        self._main_csr = sp.csr_matrix((0, N_FEATURES), dtype=np.float32)  # row-major twin for removals
        self._main_ids = np.zeros(0, dtype=np.int64)  # -1 = removed
        self._main_len = np.zeros(0, dtype=np.float32)
        self._delta_rows: list[sp.csr_matrix | None] = []
        self._delta_ids: list[int] = []
        self._slot: dict[int, int] = {}  # id -> slot (main row, or n_main + delta position)
        self.total_len = 0.0

    # -- sizes -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, doc_id: int) -> bool:
        return int(doc_id) in self._slot

    @property
    def avgdl(self) -> float:
        return self.total_len / len(self) if len(self) else 1.0

    # -- writes --------------------------------------------------------------------------------
    def _vectorize(self, texts: list[str]) -> sp.csr_matrix:
        return self.vectorizer.transform([_tokens(t, self.use_words, self.plain) for t in texts]).tocsr()

    def add(self, doc_id: int, text: str) -> None:
        doc_id = int(doc_id)
        self.remove(doc_id)
        row = self._vectorize([text])
        self.df[row.indices] += 1
        self.total_len += float(row.sum())
        self._slot[doc_id] = len(self._main_ids) + len(self._delta_ids)
        self._delta_rows.append(row)
        self._delta_ids.append(doc_id)
        if len(self._delta_ids) > max(512, len(self._main_ids) // 20):
            self.merge()

    def remove(self, doc_id: int) -> bool:
        slot = self._slot.pop(int(doc_id), None)
        if slot is None:
            return False
        n_main = len(self._main_ids)
        if slot < n_main:
            cols, counts = self._main_row(slot)
            self._main_ids[slot] = -1
        else:
            row = self._delta_rows[slot - n_main]
            cols, counts = row.indices, row.data
            self._delta_rows[slot - n_main] = None
            self._delta_ids[slot - n_main] = -1
        self.df[cols] -= 1
        self.total_len -= float(counts.sum())
        return True

    def _main_row(self, slot: int) -> tuple[np.ndarray, np.ndarray]:
        m = self._main_csr
        start, end = m.indptr[slot], m.indptr[slot + 1]
        return m.indices[start:end], m.data[start:end]

    def merge(self) -> None:
        """Fold the delta into the main matrix and drop removed rows."""
        live = self._main_ids >= 0
        blocks = [self._main_csr[np.flatnonzero(live)]] if len(self._main_ids) else []
        delta = [(i, r) for i, r in zip(self._delta_ids, self._delta_rows) if i >= 0 and r is not None]
        blocks += [r for _, r in delta]
        ids = np.concatenate([self._main_ids[live], np.array([i for i, _ in delta], dtype=np.int64)])
        self._set_main(sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, N_FEATURES), dtype=np.float32), ids)

    def _set_main(self, csr: sp.csr_matrix, ids: np.ndarray) -> None:
        csr = csr.astype(np.float32)
        self._main_csr = csr
        self._main = csr.tocsc()
        self._main_ids = ids.astype(np.int64)
        self._main_len = np.asarray(csr.sum(axis=1), dtype=np.float32).reshape(-1)
        self._delta_rows, self._delta_ids = [], []
        self._slot = {int(i): s for s, i in enumerate(self._main_ids)}

    @classmethod
    def build(cls, ids, texts: list[str], **kwargs) -> "LexicalIndex":
        index = cls(**kwargs)
        csr = index._vectorize(list(texts))
        index.df = np.bincount(csr.indices, minlength=N_FEATURES).astype(np.int32)
        index.total_len = float(csr.sum())
        index._set_main(csr, np.asarray(ids, dtype=np.int64))
        return index

    # -- queries -------------------------------------------------------------------------------
    def query(self, text: str, expansions: list[tuple[str, float]] = ()) -> LexicalQuery:
        """Query terms from text, plus weighted expansion phrases (e.g. scenario vocabulary)."""
        row = _query_row(text, self.use_words, self.plain)
        for phrase, weight in expansions:
            row = row + _phrase_row(phrase, self.use_words, self.plain) * weight
        row = row.tocsr()
        row.sum_duplicates()
        cols, weights = row.indices.astype(np.int64), row.data.astype(np.float32)  # copies: the row may be cached
        if not self.plain:
            weights[np.isin(cols, _STOP_COLS)] *= STOPWORD_QUERY_WEIGHT
        keep = weights > 0
        return LexicalQuery(cols[keep], weights[keep])

    def upper_bound(self, query: LexicalQuery) -> float:
        """The most any document could score for this query (each term's saturation limit):
        score / upper_bound is an absolute 0..1 match strength, comparable across queries."""
        if not query or not len(self):
            return 0.0
        return float((self.idf(query.cols) * query.weights).sum() * (self.k1 + 1.0))

    def idf(self, cols: np.ndarray) -> np.ndarray:
        n = max(len(self), 1)
        df = self.df[cols].astype(np.float64)
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def _postings_terms(self, query: LexicalQuery, max_df: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Query columns to walk postings for. On large collections very common terms (df above
        max_df of the documents) are skipped for candidate generation: they cost the most and
        separate the least; candidates are then re-scored exactly with score_ids()."""
        cols, weights = query.cols, query.weights
        if max_df is None or len(self) < 20_000:
            return cols, weights
        df = self.df[cols]
        keep = df <= max_df * len(self)
        if not keep.any():
            keep = np.zeros(len(cols), bool)
            keep[np.argsort(df)[:3]] = True
        return cols[keep], weights[keep]

    def scores(self, query: LexicalQuery, max_df: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) for every live document with a nonzero BM25 score."""
        if not query or not len(self):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        cols, weights = self._postings_terms(query, max_df)
        qw = self.idf(cols) * weights
        k1, b, avgdl = self.k1, self.b, self.avgdl
        out_ids, out_scores = [], []
        # Main matrix: gather the postings of the query columns from the CSC arrays.
        m = self._main
        starts, ends = m.indptr[cols], m.indptr[cols + 1]
        if (ends > starts).any():
            rows = np.concatenate([m.indices[s:e] for s, e in zip(starts, ends)])
            tf = np.concatenate([m.data[s:e] for s, e in zip(starts, ends)])
            w = np.repeat(qw, ends - starts)
            norm = k1 * (1.0 - b + b * self._main_len[rows] / avgdl)
            contrib = w * tf * (k1 + 1.0) / (tf + norm)
            sums = np.bincount(rows, weights=contrib, minlength=len(self._main_ids))
            hit = np.flatnonzero((sums > 0) & (self._main_ids >= 0))
            out_ids.append(self._main_ids[hit])
            out_scores.append(sums[hit])
        # Delta rows: few, scored one by one.
        qmap = dict(zip(cols.tolist(), qw.tolist()))
        for doc_id, row in zip(self._delta_ids, self._delta_rows):
            if row is not None:
                s = self._row_score(row.indices, row.data, qmap)
                if s > 0:
                    out_ids.append(np.array([doc_id], np.int64))
                    out_scores.append(np.array([s]))
        if not out_ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(out_ids), np.concatenate(out_scores).astype(np.float32)

    def _row_score(self, cols: np.ndarray, tfs: np.ndarray, qmap: dict[int, float]) -> float:
        k1, b = self.k1, self.b
        dl = float(tfs.sum())
        norm = k1 * (1.0 - b + b * dl / self.avgdl)
        return sum(qmap[c] * t * (k1 + 1.0) / (t + norm) for c, t in zip(cols.tolist(), tfs.tolist()) if c in qmap)

    def score_ids(self, query: LexicalQuery, ids) -> np.ndarray:
        """Exact BM25 of these documents (0 for unknown ids), from their rows only."""
        out = np.zeros(len(ids))
        if not query or not len(self):
            return out
        qw = self.idf(query.cols) * query.weights
        qmap = dict(zip(query.cols.tolist(), qw.tolist()))
        n_main = len(self._main_ids)
        slots = np.array([self._slot.get(int(i), -1) for i in np.asarray(ids).tolist()], np.int64)
        main = np.flatnonzero((slots >= 0) & (slots < n_main))
        if len(main):
            out[main] = self._main_scores(slots[main], query.cols, qw)
        for j in np.flatnonzero(slots >= n_main).tolist():  # delta rows: few, one by one
            row = self._delta_rows[slots[j] - n_main]
            out[j] = self._row_score(row.indices, row.data, qmap)
        return out

    def _main_scores(self, slots: np.ndarray, cols: np.ndarray, qw: np.ndarray) -> np.ndarray:
        """BM25 of main-matrix rows, all at once: the same terms, in the same order and float64
        arithmetic as _row_score, so both give identical scores."""
        rows = self._main_csr[slots]
        order = np.argsort(cols)
        pos = np.minimum(np.searchsorted(cols[order], rows.indices), len(cols) - 1)
        hit = cols[order][pos] == rows.indices
        row_of = np.repeat(np.arange(len(slots)), np.diff(rows.indptr))[hit]
        tf = rows.data[hit].astype(np.float64)
        k1, b = self.k1, self.b
        norm = k1 * (1.0 - b + b * self._main_len[slots].astype(np.float64) / self.avgdl)
        contrib = qw[order][pos[hit]] * tf * (k1 + 1.0) / (tf + norm[row_of])
        return np.bincount(row_of, weights=contrib, minlength=len(slots))

    def top(self, query: LexicalQuery, k: int, allowed=None, max_df: float | None = None) -> list[tuple[int, float]]:
        ids, scores = self.scores(query, max_df)
        if allowed is not None and len(ids):
            keep = np.isin(ids, np.fromiter(allowed, np.int64)) if not callable(allowed) else np.fromiter((bool(allowed(int(i))) for i in ids), bool, len(ids))
            ids, scores = ids[keep], scores[keep]
        if len(ids) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            ids, scores = ids[part], scores[part]
        order = np.argsort(-scores, kind="stable")
        return [(int(ids[i]), float(scores[i])) for i in order]

    def term_idf(self, term: str) -> float:
        """Mean idf of a term's tokens (for ranking shared terms in reasons)."""
        cols = _term_cols(term, self.use_words, self.plain)
        return float(self.idf(cols).mean()) if len(cols) else 0.0

    # -- persistence ---------------------------------------------------------------------------
    def save(self, folder: str | Path) -> None:
        self.merge()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        sp.save_npz(folder / "lexical_tf.npz", self._main_csr, compressed=False)
        np.save(folder / "lexical_ids.npy", self._main_ids)
        np.save(folder / "lexical_params.npy", np.array([self.k1, self.b, float(self.use_words), float(self.plain)]))

    @classmethod
    def load(cls, folder: str | Path) -> "LexicalIndex":
        folder = Path(folder)
        params = np.load(folder / "lexical_params.npy").tolist() + [0.0]
        index = cls(k1=params[0], b=params[1], use_words=bool(params[2]), plain=bool(params[3]))
        csr = sp.load_npz(folder / "lexical_tf.npz").tocsr()
        index.df = np.bincount(csr.indices, minlength=N_FEATURES).astype(np.int32)
        index.total_len = float(csr.sum())
        index._set_main(csr, np.load(folder / "lexical_ids.npy"))
        return index

