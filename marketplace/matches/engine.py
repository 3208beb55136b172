"""The process-wide match engine: encoder + matcher, kept in step with the database.

Writes: when a demand or offering is committed, its vector is (re)encoded in the same
transaction if its text or the model changed (before_commit), so stored vectors are always
current. Reads: before ranking, the engine pulls rows changed since it last looked (by
updated_at), so every worker process sees every other's writes within one request.
Start-up: the index is loaded from the instance folder when its fingerprint matches the
database, else rebuilt from the stored vectors, never by re-encoding.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import Flask, current_app

from marketplace.demands.models import Demand
from marketplace.extensions import db
from marketplace.matches.documents import ProviderFacts, demand_document, indexable, offering_document
from marketplace.matches.models import Embedding
from marketplace.matching.embeddings import Encoder, get_encoder, text_hash
from marketplace.matching.ranker import FusionWeights, Matcher, MatchDocument
from marketplace.offerings.models import Offering
from marketplace.taxonomy.models import TaxonomyTerm

log = logging.getLogger(__name__)
MODELS = {"demand": Demand, "offering": Offering}
# Rows committed slightly out of timestamp order are caught by re-reading this window.
SYNC_OVERLAP = timedelta(seconds=5)


class MatchEngine:
    def __init__(self, app: Flask) -> None:
        self.model_path = app.config.get("EMBEDDING_MODEL", "")
        self.index_dir = Path(app.config["MATCHING_INDEX_DIR"])
        self.weights = FusionWeights.from_mapping(app.config.get("MATCHING_WEIGHTS"))
        self.approx_threshold = app.config.get("MATCHING_APPROX_THRESHOLD", 50_000)
        self.matcher: Matcher | None = None
        self.synced_until: datetime | None = None
        self.lock = threading.RLock()

    # ---------------------------------------------------------------- set-up
    @property
    def encoder(self) -> Encoder:
        return get_encoder(self.model_path)

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

    def ready(self) -> Matcher:
        """Load or build the matcher on first use."""
        with self.lock:
            if self.matcher is None:
                fingerprint = self._fingerprint()
                meta = Matcher.read_meta(self.index_dir) if (self.index_dir / "manifest.json").exists() else None
                if meta == fingerprint:
                    scenarios, labels = self._taxonomy()
                    try:
                        self.matcher = Matcher.load(self.index_dir, self.weights, scenarios, labels,
                                                    self.encoder.han_ability, self.approx_threshold, self.encoder.name)
                    except Exception:  # noqa: BLE001 - a damaged index is rebuilt, not fatal
                        log.exception("matching index in %s unreadable; rebuilding", self.index_dir)
                if self.matcher is None:
                    self.rebuild(save=True, fingerprint=fingerprint)
                self.synced_until = _parse(fingerprint)
            return self.matcher

    def rebuild(self, save: bool = True, fingerprint: dict | None = None) -> tuple[int, int]:
        """Rebuild both sides from stored vectors. Returns (demands, offerings) indexed."""
        with self.lock:
            matcher = self._new_matcher()
            docs, vectors, missing = [], [], []
            demands = db.session.scalars(sa.select(Demand).where(Demand.status == "open")).all()
            offerings = db.session.scalars(sa.select(Offering).where(Offering.status == "published")).all()
            facts = ProviderFacts(o.org_id for o in offerings)
            all_docs = [demand_document(d) for d in demands] + [offering_document(o, facts) for o in offerings]
            stored = self._stored_vectors(all_docs)
            for doc in all_docs:
                vector = stored.get((doc.kind, doc.id))
                if vector is None:
                    missing.append(doc)
                else:
                    docs.append(doc)
                    vectors.append(vector)
            matcher.build(docs, np.vstack(vectors) if vectors else np.zeros((0, matcher.dim), np.float32))
            for doc in missing:  # no current vector yet: matched on text and taxonomy until reindexed
                matcher.upsert(doc, None)
            self.matcher = matcher
            if save:
                self.index_dir.mkdir(parents=True, exist_ok=True)
                matcher.save(self.index_dir, meta=fingerprint or self._fingerprint())
            return len(demands), len(offerings)

    def _embedding_rows(self, docs: list[MatchDocument]) -> dict[tuple[str, int], Embedding]:
        """The stored embedding rows of these documents for the current model (current or not)."""
        rows: dict[tuple[str, int], Embedding] = {}
        for kind in ("demand", "offering"):
            ids = [d.id for d in docs if d.kind == kind]
            for chunk in _chunks(ids, 900):
                for row in db.session.scalars(sa.select(Embedding).where(
                        Embedding.object_type == kind, Embedding.object_id.in_(chunk),
                        Embedding.model_name == self.encoder.name)):
                    rows[(kind, row.object_id)] = row
        return rows

    def _stored_vectors(self, docs: list[MatchDocument]) -> dict[tuple[str, int], np.ndarray]:
        """Current stored vectors (model and text hash both match) for these documents."""
        rows = self._embedding_rows(docs)
        out: dict[tuple[str, int], np.ndarray] = {}
        for doc in docs:
            row = rows.get((doc.kind, doc.id))
            if row is not None and row.text_hash == text_hash(doc.full_text()):
                out[(doc.kind, doc.id)] = row.as_array()
        return out

    # ---------------------------------------------------------------- writes
    def store_vectors(self, objects: list, batch_size: int = 64, progress: bool = False) -> int:
        """Encode and store vectors for objects whose text or model changed. Returns how many."""
        facts = ProviderFacts(o.org_id for o in objects if isinstance(o, Offering))
        docs = [demand_document(o) if isinstance(o, Demand) else offering_document(o, facts) for o in objects]
        rows = self._embedding_rows(docs)
        hashes = {(d.kind, d.id): text_hash(d.full_text()) for d in docs}
        stale = [d for d in docs if (d.kind, d.id) not in rows or rows[(d.kind, d.id)].text_hash != hashes[(d.kind, d.id)]]
        if not stale:
            return 0
        # Demands and offerings are encoded with their own prompt (e5: "query: " / "passage: ").
        stale = [d for d in stale if d.kind == "demand"] + [d for d in stale if d.kind == "offering"]
        vectors = np.vstack([self.encoder.encode_kind([d.full_text() for d in stale if d.kind == kind], kind,
                                                      batch_size=batch_size, show_progress_bar=progress)
                             for kind in ("demand", "offering")])
        for doc, vector in zip(stale, vectors):
            row = rows.get((doc.kind, doc.id))
            if row is None:
                row = Embedding(object_type=doc.kind, object_id=doc.id, model_name=self.encoder.name)
                db.session.add(row)
            row.text_hash = hashes[(doc.kind, doc.id)]
            row.dim = int(vector.shape[0])
            row.vector = np.asarray(vector, np.float32).tobytes()
        return len(stale)

    # ---------------------------------------------------------------- reads
    def refresh(self) -> Matcher:
        """Apply rows changed since the last look (by any process)."""
        matcher = self.ready()
        with self.lock:
            since = (self.synced_until or datetime(1970, 1, 1)) - SYNC_OVERLAP
            changed: dict[str, set[int]] = {"demand": set(), "offering": set()}
            for kind, model in MODELS.items():
                changed[kind].update(db.session.scalars(sa.select(model.id).where(model.updated_at > since)))
            for kind, object_id in db.session.execute(
                    sa.select(Embedding.object_type, Embedding.object_id).where(Embedding.updated_at > since)):
                changed[kind].add(object_id)
            latest = since
            for kind, model in MODELS.items():
                if not changed[kind]:
                    continue
                rows = db.session.scalars(sa.select(model).where(model.id.in_(changed[kind]))).all()
                facts = ProviderFacts(r.org_id for r in rows) if kind == "offering" else None
                keep = [r for r in rows if indexable(r)]
                docs = [demand_document(r) if kind == "demand" else offering_document(r, facts) for r in keep]
                stored = self._stored_vectors(docs)
                for doc in docs:
                    matcher.upsert(doc, stored.get((doc.kind, doc.id)))
                for row in rows:
                    latest = max(latest, row.updated_at)
                    if not indexable(row):
                        matcher.remove(kind, row.id)
            self.synced_until = max(latest, self.synced_until or latest)
            return matcher

    def query_vector(self, doc: MatchDocument) -> np.ndarray:
        stored = self._stored_vectors([doc])
        vector = stored.get((doc.kind, doc.id))
        return vector if vector is not None else self.encoder.encode_kind([doc.full_text()], doc.kind)[0]


def _parse(fingerprint: dict) -> datetime | None:
    stamps = [fingerprint[k][1] for k in ("demand", "offering", "embedding") if fingerprint[k][1]]
    return max(datetime.fromisoformat(s) for s in stamps) if stamps else None


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def get_engine() -> MatchEngine:
    engine = current_app.extensions.get("match_engine")
    if engine is None:
        engine = current_app.extensions["match_engine"] = MatchEngine(current_app)
    return engine
