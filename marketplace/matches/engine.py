"""The process-wide match engine: encoder + matcher, kept in step with the database.

Writes never encode: a commit that touches a demand or offering enqueues a job
(`marketplace/matches/tasks.py`) which encodes after that commit, in its own short transaction,
and then stores the item's matches. Reads: before the live "why this match" ranking, the engine
pulls rows changed since it last looked (by updated_at), so every worker on every host stays in
step from the database. Start-up (`warm_start`, called from the gunicorn config and the dev
server): the model loads and the newest saved index generation is read from the instance folder,
then caught up from the database; the index is rebuilt from stored vectors only when there is no
saved index for this model, and that rebuild runs at start-up or in a job, never inside a request.
Workers switch to a newer saved generation (written by the reindex job) in a background thread.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from marketplace.db import read_phase
from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.matches.documents import documents, indexable, load_demands, load_offerings
from marketplace.matches.models import Embedding
from marketplace.matching.embeddings import BATCH_SIZE, Encoder, get_encoder, text_hash
from marketplace.matching.ranker import FusionWeights, Matcher, MatchDocument
from marketplace.offerings.models import Offering
from marketplace.taxonomy.models import TaxonomyTerm

log = logging.getLogger(__name__)
MODELS = {"demand": Demand, "offering": Offering}
# Rows committed slightly out of timestamp order are caught by re-reading this window.
SYNC_OVERLAP = timedelta(seconds=5)
GENERATION_CHECK_SECONDS = 10


class EncodedText(NamedTuple):
    kind: str
    id: int
    text_hash: str
    vector: np.ndarray


class MatchEngine:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.model_path = app.config.get("EMBEDDING_MODEL", "")
        self.index_dir = Path(app.config["MATCHING_INDEX_DIR"])
        self.weights = FusionWeights.from_mapping(app.config.get("MATCHING_WEIGHTS"))
        self.approx_threshold = app.config.get("MATCHING_APPROX_THRESHOLD", 50_000)
        self.matcher: Matcher | None = None
        self.generation: str | None = None  # the saved index generation loaded, if any
        self.synced_until: datetime | None = None
        self.lock = threading.RLock()
        self.ready_at: float | None = None   # time.monotonic() when the matcher was first ready
        self._next_generation_check = 0.0
        self._switching = False

    # ---------------------------------------------------------------- set-up
    @property
    def encoder(self) -> Encoder:
        return get_encoder(self.model_path)

    @property
    def loaded(self) -> bool:
        return self.matcher is not None

    def _taxonomy(self) -> tuple[list[dict], dict[str, tuple[str, str]]]:
        terms = db.session.scalars(sa.select(TaxonomyTerm)).all()
        scenarios = [{"code": t.code, "zh": t.label_zh, "en": t.label_en, "keywords": t.keywords}
                     for t in terms if t.kind == "scenario"]
        labels = {t.code: (t.label_zh, t.label_en) for t in terms}
        return scenarios, labels

    def _new_matcher(self) -> Matcher:
        scenarios, labels = self._taxonomy()
        return Matcher(self.encoder.dim, self.weights, scenarios, labels, self.encoder.han_ability, self.approx_threshold,
                       model_name=self.encoder.name)

    def _fingerprint(self) -> dict:
        def stamp(model) -> list:
            count, latest = db.session.execute(sa.select(sa.func.count(model.id), sa.func.max(model.updated_at))).one()
            return [count, latest.isoformat() if latest else None]

        return {"model": self.encoder.name, "demand": stamp(Demand), "offering": stamp(Offering), "embedding": stamp(Embedding)}

    # ------------------------------------------------------- saved generations
    def current_generation(self) -> Path | None:
        """The folder of the newest complete saved index (a pointer file names it; written last)."""
        pointer = self.index_dir / "CURRENT"
        if pointer.exists():
            folder = self.index_dir / pointer.read_text().strip()
            if (folder / "manifest.json").exists():
                return folder
        return self.index_dir if (self.index_dir / "manifest.json").exists() else None

    def _load_saved(self) -> tuple[Matcher, str, datetime | None] | None:
        folder = self.current_generation()
        if folder is None:
            return None
        meta = Matcher.read_meta(folder) or {}
        if meta.get("model") != self.encoder.name:
            return None
        scenarios, labels = self._taxonomy()
        try:
            matcher = Matcher.load(folder, self.weights, scenarios, labels, self.encoder.han_ability, self.approx_threshold,
                                   self.encoder.name)
        except Exception:  # noqa: BLE001 - a damaged index is rebuilt, not fatal
            log.exception("matching index in %s unreadable; rebuilding", folder)
            return None
        return matcher, folder.name, _parse(meta)

    def save(self, matcher: Matcher, fingerprint: dict) -> str:
        """Write a new generation folder, then point CURRENT at it; readers never see half an index."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        name = f"gen-{datetime.utcnow():%Y%m%d%H%M%S%f}"
        matcher.save(self.index_dir / name, meta=fingerprint)
        tmp = self.index_dir / "CURRENT.tmp"
        tmp.write_text(name)
        tmp.replace(self.index_dir / "CURRENT")
        for old in sorted(p for p in self.index_dir.glob("gen-*") if p.name != name)[:-1]:
            shutil.rmtree(old, ignore_errors=True)  # keep the previous one for workers still loading it
        return name

    def ready(self) -> Matcher:
        """The matcher, loading the saved index (or building one from stored vectors) if not yet done.
        Reads only: a caller outside a request runs it in read_phase(), so no lock is held meanwhile."""
        with self.lock:
            if self.matcher is None:
                loaded = self._load_saved()
                if loaded is not None:
                    self.matcher, self.generation, self.synced_until = loaded
                    self._catch_up()
                else:
                    self.rebuild(save=True)
                self.ready_at = time.monotonic()
            return self.matcher

    def rebuild(self, save: bool = True, objects: list | None = None, docs: list[MatchDocument] | None = None) -> tuple[int, int]:
        """Rebuild both sides from stored vectors. Returns (demands, offerings) indexed.
        objects/docs: the open demands and published offerings (or their documents), if the caller has them."""
        with self.lock:
            fingerprint = self._fingerprint()
            if docs is None and objects is None:
                objects = load_demands(Demand.status == "open") + load_offerings(Offering.status == "published")
            matcher = self._new_matcher()
            all_docs = docs if docs is not None else documents(objects)
            stored = self._stored_vectors(all_docs)
            docs = [d for d in all_docs if (d.kind, d.id) in stored]
            vectors = [stored[(d.kind, d.id)] for d in docs]
            matcher.build(docs, np.vstack(vectors) if vectors else np.zeros((0, matcher.dim), np.float32))
            for doc in all_docs:  # no current vector yet: matched on text and taxonomy until encoded
                if (doc.kind, doc.id) not in stored:
                    matcher.upsert(doc, None)
            self.matcher = matcher
            self.synced_until = _parse(fingerprint)
            if save:
                self.generation = self.save(matcher, fingerprint)
            n_demands = sum(1 for d in all_docs if d.kind == "demand")
            return n_demands, len(all_docs) - n_demands

    def _embedding_rows(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Embedding]:
        """The stored embedding rows of these (kind, id) keys for the current model (current or not)."""
        rows: dict[tuple[str, int], Embedding] = {}
        for kind in ("demand", "offering"):
            ids = [i for k, i in keys if k == kind]
            for chunk in _chunks(ids, 900):
                for row in db.session.scalars(sa.select(Embedding).where(
                        Embedding.object_type == kind, Embedding.object_id.in_(chunk),
                        Embedding.model_name == self.encoder.name)):
                    rows[(kind, row.object_id)] = row
        return rows

    def _stored_vectors(self, docs: list[MatchDocument]) -> dict[tuple[str, int], np.ndarray]:
        """Current stored vectors (model and text hash both match) for these documents."""
        rows = self._embedding_rows([(d.kind, d.id) for d in docs])
        out: dict[tuple[str, int], np.ndarray] = {}
        for doc in docs:
            row = rows.get((doc.kind, doc.id))
            if row is not None and row.text_hash == text_hash(doc.full_text()):
                out[(doc.kind, doc.id)] = row.as_array()
        return out

    def stored_vectors(self, docs: list[MatchDocument]) -> dict[tuple[str, int], np.ndarray]:
        return self._stored_vectors(docs)

    # ---------------------------------------------------------------- writes
    def encode_stale(self, objects: list | None = None, batch_size: int = BATCH_SIZE, progress: bool = False,
                     docs: list[MatchDocument] | None = None) -> list[EncodedText]:
        """Encode the documents whose stored vector is missing or stale (new text or another model).
        Reads and encodes only: run it in read_phase(), end that transaction, then write_vectors()."""
        docs = documents(objects) if docs is None else docs
        rows = self._embedding_rows([(d.kind, d.id) for d in docs])
        hashes = {(d.kind, d.id): text_hash(d.full_text()) for d in docs}
        stale = [d for d in docs if (d.kind, d.id) not in rows or rows[(d.kind, d.id)].text_hash != hashes[(d.kind, d.id)]]
        if not stale:
            return []
        # Demands and offerings are encoded with their own prompt (e5: "query: " / "passage: ").
        stale = [d for d in stale if d.kind == "demand"] + [d for d in stale if d.kind == "offering"]
        vectors = np.vstack([self.encoder.encode_kind([d.full_text() for d in stale if d.kind == kind], kind,
                                                      batch_size=batch_size, show_progress_bar=progress)
                             for kind in ("demand", "offering")])
        return [EncodedText(d.kind, d.id, hashes[(d.kind, d.id)], np.asarray(v, np.float32))
                for d, v in zip(stale, vectors)]

    def write_vectors(self, encoded: list[EncodedText]) -> int:
        """Store encoded vectors: a short write (rows read again by key, then added or updated)."""
        rows = self._embedding_rows([(e.kind, e.id) for e in encoded])
        for item in encoded:
            row = rows.get((item.kind, item.id))
            if row is None:
                row = Embedding(object_type=item.kind, object_id=item.id, model_name=self.encoder.name)
                db.session.add(row)
            row.text_hash = item.text_hash
            row.dim = int(item.vector.shape[0])
            row.vector = item.vector.tobytes()
        return len(encoded)

    def store_vectors(self, objects: list | None = None, batch_size: int = BATCH_SIZE, progress: bool = False,
                      docs: list[MatchDocument] | None = None) -> int:
        """Encode what is stale and store it, holding no write lock while encoding. Commits:
        the read and the write are separate transactions. Returns how many were encoded."""
        with read_phase():
            encoded = self.encode_stale(objects, batch_size=batch_size, progress=progress, docs=docs)
            db.session.commit()
        self.write_vectors(encoded)
        db.session.commit()
        return len(encoded)

    # ---------------------------------------------------------------- reads
    def refresh(self) -> Matcher:
        """Apply rows changed since the last look (by any process on any host)."""
        matcher = self.ready()
        self._maybe_switch_generation()
        with self.lock:
            self._catch_up()
            return self.matcher

    def _catch_up(self) -> None:
        matcher = self.matcher
        since = (self.synced_until or datetime(1970, 1, 1)) - SYNC_OVERLAP
        changed: dict[str, set[int]] = {"demand": set(), "offering": set()}
        for kind, model in MODELS.items():
            changed[kind].update(db.session.scalars(sa.select(model.id).where(model.updated_at > since)))
        for kind, object_id, vector_hash in db.session.execute(
                sa.select(Embedding.object_type, Embedding.object_id, Embedding.text_hash).where(Embedding.updated_at > since)):
            # A new vector for an unchanged row the index already holds with a vector of that text (the
            # overlap re-reads the thousands a reindex wrote just before saving): nothing to load.
            if object_id not in changed[kind] and not _vector_indexed(matcher, kind, object_id, vector_hash):
                changed[kind].add(object_id)
        latest = since
        rows: list = []
        for kind, model in MODELS.items():
            for chunk in _chunks(sorted(changed[kind]), 900):
                rows += (load_demands if kind == "demand" else load_offerings)(model.id.in_(chunk))
        keep = [r for r in rows if indexable(r)]
        docs = documents(keep)
        stored = self._stored_vectors(docs)
        stamps = list(db.session.scalars(sa.select(sa.func.max(Embedding.updated_at)).where(Embedding.updated_at > since)))
        gone = [("demand" if isinstance(row, Demand) else "offering", row.id) for row in rows if not indexable(row)]
        latest = max([latest, *(row.updated_at for row in rows), *(s for s in stamps if s is not None)])
        for doc in docs:
            vector = stored.get((doc.kind, doc.id))
            if not _already_indexed(matcher, doc, vector):
                matcher.upsert(doc, vector)
        for kind, object_id in gone:
            matcher.remove(kind, object_id)
        self.synced_until = max(latest, self.synced_until or latest)

    def _maybe_switch_generation(self) -> None:
        """A reindex job saved a newer generation: load it beside the current one, then swap."""
        now = time.monotonic()
        if now < self._next_generation_check or self._switching:
            return
        self._next_generation_check = now + GENERATION_CHECK_SECONDS
        folder = self.current_generation()
        if folder is None or folder.name == self.generation or folder == self.index_dir:
            return
        self._switching = True
        app = current_app._get_current_object()

        def load() -> None:
            try:
                with app.app_context(), read_phase():
                    loaded = self._load_saved()
                    if loaded is not None:
                        matcher, name, synced = loaded
                        with self.lock:
                            self.matcher, self.generation, self.synced_until = matcher, name, synced
                            self._catch_up()
                    db.session.remove()
            finally:
                self._switching = False

        threading.Thread(target=load, name="match-index-switch", daemon=True).start()

    def query_vector(self, doc: MatchDocument) -> np.ndarray:
        stored = self._stored_vectors([doc])
        vector = stored.get((doc.kind, doc.id))
        return vector if vector is not None else self.encoder.encode_kind([doc.full_text()], doc.kind)[0]


def _already_indexed(matcher: Matcher, doc: MatchDocument, vector: np.ndarray | None) -> bool:
    """The index holds this document as it is (re-read by the overlap window, or by a worker
    catching up a saved generation). Same text means the same stored vector for this model, so
    only whether it has one at all can differ."""
    col = matcher.collections[doc.kind]
    return col.docs.get(doc.id) == doc and (vector is None) == (doc.id in col.no_vector)


def _vector_indexed(matcher: Matcher, kind: str, object_id: int, vector_hash: str) -> bool:
    col = matcher.collections[kind]
    doc = col.docs.get(object_id)
    return doc is not None and object_id not in col.no_vector and text_hash(doc.full_text()) == vector_hash


def _parse(fingerprint: dict) -> datetime | None:
    stamps = [fingerprint[k][1] for k in ("demand", "offering", "embedding") if fingerprint.get(k) and fingerprint[k][1]]
    return max(datetime.fromisoformat(s) for s in stamps) if stamps else None


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def get_engine(app: Flask | None = None) -> MatchEngine:
    app = app or current_app._get_current_object()
    engine = app.extensions.get("match_engine")
    if engine is None:
        engine = app.extensions.setdefault("match_engine", MatchEngine(app))
    return engine


def warm_start(app: Flask, background: bool = True) -> threading.Thread | None:
    """Load the model, jieba and the index now (at worker start), not in the first request.
    /healthz answers 503 until this has finished."""
    if not app.config.get("MATCHING_ENABLED") or app.extensions.get("match_warm_start"):
        return None
    app.extensions["match_warm_start"] = True  # once per process

    def load() -> None:
        with app.app_context(), read_phase():  # reads only: never hold SQLite's write lock while loading
            try:
                get_engine(app).ready()
            except Exception:  # noqa: BLE001 - reported by /healthz and the log, the worker keeps serving
                log.exception("matching engine failed to load")
                app.extensions["match_engine_error"] = True
            finally:
                db.session.remove()

    if not background:
        load()
        return None
    thread = threading.Thread(target=load, name="match-warm-start", daemon=True)
    thread.start()
    return thread


# ------------------------------------------------------------ one load shared by every worker
_threads_before_fork: dict[str, int] = {}


def preload(app: Flask) -> None:
    """Load the model, jieba and the index once in gunicorn's master (preload_app), before it forks
    the workers: they share those pages copy-on-write instead of each loading its own, and are ready
    when they start. Torch and FAISS stay on one thread here, because OpenMP's thread pool does not
    survive fork (a worker's first encoding would hang); after_fork() gives each worker its threads."""
    if not app.config.get("MATCHING_ENABLED"):
        return
    import faiss
    import torch

    _threads_before_fork.update(torch=torch.get_num_threads(), faiss=faiss.omp_get_max_threads())
    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    warm_start(app, background=False)
    with app.app_context():
        db.engine.dispose()  # no connection is shared with the workers
    import gc

    gc.collect()
    gc.freeze()  # the collector leaves the preloaded objects alone, so it does not copy their pages into each worker


def after_fork() -> None:
    """In each worker forked from a preloaded master."""
    if _threads_before_fork:
        import faiss
        import torch

        torch.set_num_threads(_threads_before_fork["torch"])
        faiss.omp_set_num_threads(_threads_before_fork["faiss"])
