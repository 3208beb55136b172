"""Learned fusion of the matcher's signals and calibration of the fused score.

A FusionModel holds, per query language (Han-majority "han", Latin-majority "latin"), a linear
ranking scorer over FEATURES, fitted on the dev split only with a pairwise objective (logistic
regression on the feature differences of a more and a less relevant candidate of the same
query; the regularization chosen by 5-fold cross-validation over dev queries). The ranking
features are mostly per-query standardized (z-scores within the candidate list), so one weight
means the same for a query with many near matches and one with few; the absolute signals stay
in so that the calibrated score can tell a query with no good candidate at all.

The guard: when cross-validation on dev says a single signal, or naive reciprocal-rank fusion
of dense and lexical, ranks better than every learned scorer, that one is used instead, so the
hybrid never falls below its best single signal on dev.

The raw score then goes through a calibration fitted on out-of-fold dev scores to the
probability that the pair is relevant (grade >= 1): Platt (a logistic curve) or isotonic
(a monotone step function), whichever has the lower cross-validated dev log-loss. The
percentage a user sees thus means the same for every query. The model is stored as JSON beside
this module, one file per embedding model (dense cosines of different models are not
comparable), with its training metadata, and refitted by `flask matching tune`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FEATURES = ("dense", "dense_z", "dense_zl", "lexical", "lexical_z", "expanded", "expanded_z",
            "scenario", "industry", "same_language")
# Signals the guard compares the learned scorer with (each one ranks on its own), and the naive
# reciprocal-rank fusion of the first two.
SINGLE_SIGNALS = ("dense", "lexical", "expanded")
RRF_SIGNALS = ("dense", "lexical")
LANGUAGES = ("han", "latin")
REGULARIZATION = (0.01, 0.1, 1.0)  # inverse strengths C tried by cross-validation
FOLDS = 5
FUSION_DIR = Path(__file__).resolve().parent / "fusion"
# A pair counts as a strong match (match counts, "no strong match" notices) from this
# calibrated probability of relevance on.
STRONG_MATCH_PROBABILITY = 0.5


def language_of(han_share: float) -> str:
    return "han" if han_share >= 0.5 else "latin"


def fusion_path(model_name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
    return FUSION_DIR / f"{safe}.json"


def rrf(columns: list[np.ndarray], k: int = 60) -> np.ndarray:
    """Reciprocal-rank fusion of score columns over one query's candidates."""
    total = np.zeros(len(columns[0]) if columns else 0)
    for x in columns:
        ranks = np.empty(len(x))
        ranks[np.argsort(-x, kind="stable")] = np.arange(len(x))
        total += 1.0 / (k + ranks + 1)
    return total


@dataclass
class LanguageScorer:
    mode: str  # "learned", "rrf" or the name of the single signal used alone
    coef: list[float]
    intercept: float
    # {"method": "platt", "a", "b"}: sigmoid(a * raw + b); {"method": "isotonic", "x", "y"}: steps
    calibration: dict
    dev: dict = field(default_factory=dict)  # dev-split figures behind the choices

    def raw(self, X: np.ndarray, features: tuple[str, ...] = FEATURES) -> np.ndarray:
        if self.mode == "rrf":
            return rrf([X[:, features.index(s)] for s in RRF_SIGNALS])
        return X @ np.asarray(self.coef) + self.intercept

    def probability(self, raw: np.ndarray) -> np.ndarray:
        return calibrate(self.calibration, raw)


def calibrate(calibration: dict, raw) -> np.ndarray:
    raw = np.asarray(raw, float)
    if calibration.get("method") == "isotonic":
        return np.interp(raw, calibration["x"], calibration["y"])
    return 1.0 / (1.0 + np.exp(-(calibration.get("a", 1.0) * raw + calibration.get("b", 0.0))))


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
        raw = scorer.raw(self.matrix(signals), self.features)
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
    if model.model_name != model_name or tuple(model.features) != FEATURES:
        return None  # fitted for another model or an older feature set: refit with `flask matching tune`
    return model


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


def _fit_pairwise(queries: list[QueryCandidates], C: float) -> np.ndarray:
    """Weights w such that X @ w orders each query's candidates by relevance: logistic regression
    on x_i - x_j for every pair of one query with rel_i > rel_j, weighted by the grade gap."""
    from sklearn.linear_model import LogisticRegression

    n_features = queries[0].X.shape[1] if queries else 0
    X = np.vstack([q.X for q in queries]) if queries else np.zeros((0, n_features))
    mean, scale = X.mean(0) if len(X) else 0.0, X.std(0) if len(X) else np.ones(n_features)
    scale = np.where(scale < 1e-9, 1.0, scale)
    diffs, weights = [], []
    for q in queries:
        Z = (q.X - mean) / scale
        for i in np.flatnonzero(q.rel > 0):
            lower = np.flatnonzero(q.rel < q.rel[i])
            diffs.append(Z[i] - Z[lower])
            weights.append(q.rel[i] - q.rel[lower])
    if not diffs:
        return np.zeros(n_features)
    D, w = np.vstack(diffs), np.concatenate(weights)
    # Each pair in both orders: a symmetric problem, no intercept needed.
    lr = LogisticRegression(C=C, max_iter=3000, fit_intercept=False)
    lr.fit(np.vstack([D, -D]), np.r_[np.ones(len(D)), np.zeros(len(D))], sample_weight=np.r_[w, w])
    return lr.coef_[0] / scale


def _folds(n: int, k: int) -> list[np.ndarray]:
    return [np.arange(i, n, k) for i in range(k)] if n >= k else [np.arange(i, i + 1) for i in range(n)]


def _fit_calibration(raw_by_query: list[np.ndarray], labels_by_query: list[np.ndarray], k: int = FOLDS) -> tuple[dict, dict]:
    """Platt or isotonic, whichever has the lower log-loss over query folds of these
    out-of-fold raw scores. Returns (calibration, {method: cross-validated log-loss})."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    def platt(raw, y) -> dict:
        if y.min() == y.max():
            return {"method": "platt", "a": 0.0, "b": float(np.log((y.mean() + 1e-3) / (1 - y.mean() + 1e-3)))}
        lr = LogisticRegression(C=1e4, max_iter=1000).fit(raw.reshape(-1, 1), y)
        return {"method": "platt", "a": float(lr.coef_[0][0]), "b": float(lr.intercept_[0])}

    def isotonic(raw, y) -> dict:
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.001, y_max=0.999).fit(raw, y)
        return {"method": "isotonic", "x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}

    losses: dict[str, float] = {}
    for name, fitter in (("platt", platt), ("isotonic", isotonic)):
        total, count = 0.0, 0
        for fold in _folds(len(raw_by_query), k):
            held = set(fold.tolist())
            train = [i for i in range(len(raw_by_query)) if i not in held]
            if not train:
                continue
            cal = fitter(np.concatenate([raw_by_query[i] for i in train]), np.concatenate([labels_by_query[i] for i in train]))
            p = np.clip(calibrate(cal, np.concatenate([raw_by_query[i] for i in fold])), 1e-4, 1 - 1e-4)
            y = np.concatenate([labels_by_query[i] for i in fold])
            total += float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum())
            count += len(y)
        losses[name] = round(total / max(count, 1), 5)
    raw, y = np.concatenate(raw_by_query), np.concatenate(labels_by_query)
    best = min(losses, key=losses.get)
    cal = (platt if best == "platt" else isotonic)(raw, y)
    return {k2: (round(v, 6) if isinstance(v, float) else [round(x, 6) for x in v] if isinstance(v, list) else v)
            for k2, v in cal.items()}, losses


def fit(queries: list[QueryCandidates], gains: list[list[int]], model_name: str, features=FEATURES,
        trained: dict | None = None, k: int = FOLDS) -> FusionModel:
    """Fit a FusionModel. gains[i]: every graded relevance of query i (for the ideal DCG)."""
    features = tuple(features)
    idx = {f: j for j, f in enumerate(features)}
    languages: dict[str, LanguageScorer] = {}
    all_ids = list(range(len(queries)))
    for lang in LANGUAGES:
        mine = [i for i in all_ids if queries[i].language == lang] or all_ids  # none: share all queries
        folds = _folds(len(mine), k)
        # Out-of-fold raw scores of each candidate scorer, by query.
        oof: dict[str, dict[int, np.ndarray]] = {}
        for C in REGULARIZATION:
            name = f"pairwise C={C:g}"
            oof[name] = {}
            for fold in folds:
                held = {mine[j] for j in fold}
                w = _fit_pairwise([queries[i] for i in mine if i not in held], C)
                for i in held:
                    oof[name][i] = queries[i].X @ w
        for signal in SINGLE_SIGNALS:
            oof[signal] = {i: queries[i].X[:, idx[signal]] for i in mine}
        oof["rrf"] = {i: rrf([queries[i].X[:, idx[s]] for s in RRF_SIGNALS]) for i in mine}
        figures = {name: round(float(np.mean([ndcg10(raws[i], queries[i].rel, gains[i]) for i in mine])), 4)
                   for name, raws in oof.items()}
        learned = max((n for n in oof if n.startswith("pairwise")), key=lambda n: figures[n])
        best_other = max(SINGLE_SIGNALS + ("rrf",), key=lambda n: figures[n])
        if figures[learned] >= figures[best_other]:
            C = float(learned.split("=")[1])
            coef = _fit_pairwise([queries[i] for i in mine], C)
            mode, chosen = "learned", learned
        else:  # the guard: dev says this signal (or plain RRF) alone ranks better than any fusion
            coef = np.zeros(len(features))
            if best_other in idx:
                coef[idx[best_other]] = 1.0
            mode, chosen = ("rrf" if best_other == "rrf" else best_other), best_other
        calibration, losses = _fit_calibration([oof[chosen][i] for i in mine],
                                                [(queries[i].rel > 0).astype(float) for i in mine], k)
        figures.update({"queries": len(mine), "chosen": chosen, "calibration_log_loss": losses})
        languages[lang] = LanguageScorer(mode, [round(float(c), 6) for c in coef], 0.0, calibration, figures)
    return FusionModel(model_name, features, languages, trained or {})
