"""Learned fusion of the matcher's signals and calibration of the fused score.

A FusionModel holds, per query language (Han-majority "han", Latin-majority "latin"), a linear
scorer over FEATURES (logistic regression fitted on the dev split only) or, when cross-validation
on dev says a single signal ranks better, that signal alone (the guard: the hybrid never falls
below its best single signal). Either way the raw score goes through a Platt calibration (a
logistic curve fitted on out-of-fold dev scores) to the probability that the pair is relevant:
the percentage a user sees means the same for every query. Platt rather than isotonic: a few
hundred positives make isotonic steps that show ties and "100%" at the top. It is stored as
JSON beside this module, one file per embedding model (dense cosines of different models are not comparable), with its training
metadata, and refitted by `flask matching tune`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FEATURES = ("dense", "dense_rel", "lexical", "lexical_rel", "expanded", "scenario",
            "industry", "chain", "stage", "city", "budget", "pool", "track")
# Signals the guard compares the learned scorer with (each one ranks on its own).
SINGLE_SIGNALS = ("dense", "lexical", "expanded")
LANGUAGES = ("han", "latin")
FUSION_DIR = Path(__file__).resolve().parent / "fusion"
# A pair counts as a strong match (match counts, "no strong match" notices) from this
# calibrated probability of relevance on.
STRONG_MATCH_PROBABILITY = 0.5


def language_of(han_share: float) -> str:
    return "han" if han_share >= 0.5 else "latin"


def fusion_path(model_name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
    return FUSION_DIR / f"{safe}.json"


@dataclass
class LanguageScorer:
    mode: str  # "learned" or the name of the single signal used alone
    coef: list[float]
    intercept: float
    calibration: list[float]  # Platt: probability = sigmoid(a * raw + b)
    dev: dict = field(default_factory=dict)  # dev-split figures behind the choice

    def raw(self, X: np.ndarray) -> np.ndarray:
        return X @ np.asarray(self.coef) + self.intercept

    def probability(self, raw: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * np.asarray(raw, float) + b)))


@dataclass
class FusionModel:
    model_name: str
    features: tuple[str, ...]
    languages: dict[str, LanguageScorer]
    trained: dict = field(default_factory=dict)

    def scorer(self, han_share: float) -> LanguageScorer:
        return self.languages[language_of(han_share)]

    def matrix(self, signals: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(signals.values())))
        return np.column_stack([signals.get(f, np.zeros(n)) for f in self.features]) if n else np.zeros((0, len(self.features)))

    def score(self, signals: dict[str, np.ndarray], han_share: float) -> tuple[np.ndarray, np.ndarray]:
        """(raw fused scores for ordering, calibrated probabilities for display)."""
        scorer = self.scorer(han_share)
        raw = scorer.raw(self.matrix(signals))
        return raw, scorer.probability(raw)

    # -- persistence ---------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"model_name": self.model_name, "features": list(self.features), "trained": self.trained,
                "languages": {k: v.__dict__ for k, v in self.languages.items()}}

    def save(self, path: Path | None = None) -> Path:
        path = path or fusion_path(self.model_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> "FusionModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["model_name"], tuple(data["features"]),
                   {k: LanguageScorer(**v) for k, v in data["languages"].items()}, data.get("trained", {}))


def load_for(model_name: str | None) -> FusionModel | None:
    """The fitted fusion for this embedding model, or None (then the convex defaults apply)."""
    if not model_name:
        return None
    path = fusion_path(model_name)
    if not path.is_file():
        return None
    model = FusionModel.load(path)
    return model if model.model_name == model_name else None


# -- fitting (dev split only) ---------------------------------------------------------------------
@dataclass
class QueryCandidates:
    """One dev query: its candidates' features, their graded relevance and its language."""
    language: str
    X: np.ndarray
    rel: np.ndarray


def ndcg10(scores: np.ndarray, rel: np.ndarray, n_relevant_gains: list[int]) -> float:
    order = np.argsort(-scores, kind="stable")[:10]
    dcg = sum(rel[j] / np.log2(i + 2) for i, j in enumerate(order))
    ideal = sorted((g for g in n_relevant_gains if g > 0), reverse=True)[:10]
    idcg = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))
    return float(dcg / idcg) if idcg else 0.0


def _fit_lr(queries: list[QueryCandidates], C: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([q.X for q in queries])
    y = np.concatenate([q.rel > 0 for q in queries]).astype(int)
    w = np.concatenate([np.where(q.rel >= 2, 2.0, 1.0) for q in queries])
    mean, scale = X.mean(0), X.std(0)
    scale[scale < 1e-9] = 1.0
    if y.min() == y.max():
        return np.zeros(X.shape[1]), 0.0
    lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    lr.fit((X - mean) / scale, y, sample_weight=w)
    coef = lr.coef_[0] / scale
    return coef, float(lr.intercept_[0] - (lr.coef_[0] * mean / scale).sum())


def _folds(n: int, k: int) -> list[np.ndarray]:
    return [np.arange(i, n, k) for i in range(k)] if n >= k else [np.arange(i, i + 1) for i in range(n)]


def fit(queries: list[QueryCandidates], gains: list[list[int]], model_name: str, features=FEATURES,
        trained: dict | None = None, k: int = 5) -> FusionModel:
    """Fit a FusionModel. gains[i]: every graded relevance of query i (for the ideal DCG)."""
    from sklearn.linear_model import LogisticRegression

    idx = {f: j for j, f in enumerate(features)}
    languages: dict[str, LanguageScorer] = {}
    all_ids = list(range(len(queries)))
    for lang in LANGUAGES:
        mine = [i for i in all_ids if queries[i].language == lang]
        if not mine:
            mine = all_ids  # no dev query in this language: share the pooled model
        # Out-of-fold raw scores of a per-language and of a pooled scorer.
        oof: dict[str, dict[int, np.ndarray]] = {"own": {}, "pooled": {}}
        for fold in _folds(len(mine), k):
            held = {mine[j] for j in fold}
            own_train = [queries[i] for i in mine if i not in held]
            pooled_train = [queries[i] for i in all_ids if i not in held]
            for name, train in (("own", own_train), ("pooled", pooled_train)):
                coef, b = _fit_lr(train) if train else (np.zeros(len(features)), 0.0)
                for i in held:
                    oof[name][i] = queries[i].X @ coef + b
        figures: dict[str, float] = {}
        for name in ("own", "pooled"):
            figures[name] = float(np.mean([ndcg10(oof[name][i], queries[i].rel, gains[i]) for i in mine]))
        for signal in SINGLE_SIGNALS:
            figures[signal] = float(np.mean([ndcg10(queries[i].X[:, idx[signal]], queries[i].rel, gains[i]) for i in mine]))
        learned = max(("own", "pooled"), key=lambda n: figures[n])
        best_single = max(SINGLE_SIGNALS, key=lambda s: figures[s])
        if figures[learned] >= figures[best_single]:
            train = [queries[i] for i in (mine if learned == "own" else all_ids)]
            coef, b = _fit_lr(train)
            raw_oof = np.concatenate([oof[learned][i] for i in mine])
            mode = "learned"
        else:  # the guard: dev says this signal alone ranks better than any fusion
            coef = np.zeros(len(features))
            coef[idx[best_single]] = 1.0
            b = 0.0
            raw_oof = np.concatenate([queries[i].X[:, idx[best_single]] for i in mine])
            mode = best_single
        labels = np.concatenate([queries[i].rel > 0 for i in mine]).astype(float)
        platt = LogisticRegression(C=1e4, max_iter=1000).fit(raw_oof.reshape(-1, 1), labels) if labels.min() != labels.max() else None
        calibration = [float(platt.coef_[0][0]), float(platt.intercept_[0])] if platt is not None else [1.0, 0.0]
        figures = {k2: round(v, 4) for k2, v in figures.items()}
        figures.update({"queries": len(mine), "chosen": learned if mode == "learned" else best_single})
        languages[lang] = LanguageScorer(mode, [round(float(c), 6) for c in coef], round(float(b), 6),
                                         [round(v, 6) for v in calibration], figures)
    return FusionModel(model_name, tuple(features), languages, trained or {})
