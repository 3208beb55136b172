"""Keyword search.

`keyword_filter`: plain substring match, for back-office lists (names, e-mail addresses).

`parse` + `search_demands` / `search_providers`: the browse pages' search by meaning. The query is
read by the matcher's analyzer (Han character bigrams, stemmed Latin words), and the taxonomy terms
it names (预测性维护, "predictive maintenance", or a glossary word such as 视觉检测 → 在线智能检测)
match the items tagged with them. Scoring happens in SQL, so filters, counts and paging stay one
query each: a title hit counts twice a body hit, a tag counts like a few words, and an item matches
when it has the tag or at least half of the query's tokens. `highlight` / `snippet` mark the
matched words in <mark>, escaping everything else.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import g, has_request_context
from markupsafe import Markup, escape

MAX_TERMS = 8
MAX_TOKENS = 12
RELEVANCE = "relevance"
TITLE_WEIGHT, BODY_WEIGHT, TAG_WEIGHT, WEAK_TAG_WEIGHT = 2.0, 1.0, 3.0, 1.0
STOPWORD_WEIGHT = 0.2  # 智能, 系统, "ai": they rank a little, they never make a match on their own


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def keyword_filter(q: str | None, *columns) -> sa.ColumnElement[bool] | None:
    """Every whitespace-separated term must occur in at least one of the columns."""
    terms = [t for t in (q or "").split() if t][:MAX_TERMS]
    if not terms:
        return None
    clauses = []
    for term in terms:
        pattern = f"%{escape_like(term[:100])}%"
        clauses.append(sa.or_(*(col.ilike(pattern, escape="\\") for col in columns)))
    return sa.and_(*clauses)


# ---------------------------------------------------------------- reading the query

@dataclass
class Search:
    q: str
    tokens: list[str]  # analyzer tokens, each looked for as a substring
    weights: list[float]  # in the score
    need: int  # how many of the query's words (not stopwords) an item must contain to match on text alone
    terms: list = field(default_factory=list)  # taxonomy.inference.Term the query names
    weak_terms: list = field(default_factory=list)  # terms one word of the query is part of

    def term_ids(self, kind: str, weak: bool = False) -> list[int]:
        return [t.id for t in (self.weak_terms if weak else self.terms) if t.kind == kind]

    def names(self, term) -> bool:
        """Whether the query names this taxonomy term (its chip is highlighted)."""
        return term is not None and any(t.id == term.id for t in self.terms)


def query_tokens(q: str) -> list[str]:
    """The analyzer's tokens of a query, as substrings to look for: Han bigrams (a lone Han
    character stays a unigram), stemmed Latin words; no duplicates."""
    from marketplace.matching.text import analyze

    tokens = analyze(q, use_words=False)
    keep = [t for t in tokens if len(t) >= 2 or (t.isascii() and t.isdigit())]
    if not keep:  # a one-character query
        keep = [t for t in tokens if t]
    return list(dict.fromkeys(keep))[:MAX_TOKENS]


def parse(q: str | None) -> Search | None:
    """The search for a typed query (None when there is nothing to search), once per request."""
    from marketplace.matching.text import STOPWORDS, clean

    q = clean(q or "", 200)
    if not q:
        return None
    cache = g.setdefault("searches", {}) if has_request_context() else {}
    if q not in cache:
        from marketplace.taxonomy.inference import named_terms

        tokens = query_tokens(q)
        weights = [STOPWORD_WEIGHT if t in STOPWORDS else 1.0 for t in tokens]
        strong = sum(1 for w in weights if w == 1.0) or len(tokens)
        named, weak = named_terms(q)
        cache[q] = Search(q, tokens, weights, math.ceil(strong / 2), named, weak) if tokens else None
    return cache[q]


def wants_relevance(args, search: Search | None) -> bool:
    """Rank by relevance when asked to, or when there is a query and no other order was chosen."""
    sort = args.get("sort")
    return search is not None and (sort == RELEVANCE or not sort)


# ---------------------------------------------------------------- SQL

def _contains(column, token: str) -> sa.ColumnElement[bool]:
    """Whether the column contains the (lowercase) token. Tokens without Latin letters have no case:
    a plain substring test (instr / strpos) is several times faster than LIKE on either database."""
    from marketplace.extensions import db

    sqlite = db.engine.dialect.name == "sqlite"
    if not re.search(r"[a-z]", token):
        return (sa.func.instr(column, token) if sqlite else sa.func.strpos(column, token)) > 0
    pattern = f"%{escape_like(token)}%"
    # SQLite's LIKE ignores ASCII case already, and is faster than lower(x) LIKE.
    return column.like(pattern, escape="\\") if sqlite else column.ilike(pattern, escape="\\")


def _weighted(conditions, weights, factor: float = 1.0):
    return sum((sa.case((c, w * factor), else_=0.0) for c, w in zip(conditions, weights)), sa.literal(0.0))


def _relevance(search: Search, title_hits, body_hits, tags=()) -> tuple[sa.ColumnElement[bool], sa.ColumnElement]:
    """(where, score) from per-token hit conditions and (condition, weight) tag conditions."""
    hits = [sa.or_(a, b) for a, b in zip(title_hits, body_hits)]
    strong = [h for h, w in zip(hits, search.weights) if w == 1.0] or hits
    if search.need <= 1:
        text_match = sa.or_(*strong)
    else:
        text_match = _weighted(strong, [1.0] * len(strong)) >= search.need
    where = sa.or_(text_match, *(c for c, _ in tags))
    score = _weighted(title_hits, search.weights, TITLE_WEIGHT) + _weighted(body_hits, search.weights, BODY_WEIGHT)
    for condition, weight in tags:
        score = score + sa.case((condition, weight), else_=0.0)
    return where, score


def _tags(search: Search, condition) -> list:
    """(condition, weight) for the strong and the weak terms the query names; condition(kind, ids)."""
    out = []
    for weak, weight in ((False, TAG_WEIGHT), (True, WEAK_TAG_WEIGHT)):
        parts = [condition(kind, ids) for kind in ("scenario", "industry", "stage", "chain")
                 if (ids := search.term_ids(kind, weak))]
        if parts:
            out.append((sa.or_(*parts), weight))
    return out


def search_demands(query: sa.Select, search: Search) -> tuple[sa.Select, sa.ColumnElement]:
    """The demands of `query` that match the search, and their relevance score for ordering."""
    from marketplace.demands.models import Demand, demand_scenario

    columns = {"industry": Demand.industry_id, "stage": Demand.stage_id, "chain": Demand.chain_id}

    def tagged(kind, ids):
        if kind == "scenario":
            return Demand.id.in_(sa.select(demand_scenario.c.demand_id).where(demand_scenario.c.term_id.in_(ids)))
        return columns[kind].in_(ids)

    where, score = _relevance(search, [_contains(Demand.title, t) for t in search.tokens],
                              [_contains(Demand.description, t) for t in search.tokens], _tags(search, tagged))
    return query.where(where), score


def search_providers(query: sa.Select, search: Search) -> tuple[sa.Select, sa.ColumnElement]:
    """The providers of `query` whose profile or published offerings match, and their score:
    the profile's score plus that of its best matching offering (scored in one grouped subquery)."""
    from marketplace.offerings.models import (Offering, offering_chain, offering_industry, offering_scenario,
                                              offering_stage)
    from marketplace.orgs.models import Organisation

    tables = {"scenario": offering_scenario, "industry": offering_industry, "stage": offering_stage,
              "chain": offering_chain}

    def tagged(kind, ids):
        return Offering.id.in_(sa.select(tables[kind].c.offering_id).where(tables[kind].c.term_id.in_(ids)))

    offer_where, offer_score = _relevance(
        search, [_contains(Offering.title, t) for t in search.tokens],
        [sa.or_(_contains(Offering.summary, t), _contains(Offering.description, t)) for t in search.tokens],
        _tags(search, tagged))
    best = (sa.select(Offering.org_id, sa.func.max(offer_score).label("score"))
            .where(Offering.status == "published", offer_where).group_by(Offering.org_id).subquery("offering_match"))
    org_where, org_score = _relevance(
        search, [_contains(Organisation.name, t) for t in search.tokens],
        [sa.or_(_contains(Organisation.intro, t), _contains(Organisation.capabilities, t)) for t in search.tokens])
    query = query.outerjoin(best, best.c.org_id == Organisation.id).where(sa.or_(org_where, best.c.score.is_not(None)))
    return query, org_score + sa.func.coalesce(best.c.score, 0.0)


# ---------------------------------------------------------------- highlighting

def _spans(text: str, search: Search | None) -> list[tuple[int, int]]:
    if not text or search is None:
        return []
    lowered = text.lower()
    spans = []
    for token in search.tokens:
        for match in re.finditer(re.escape(token), lowered):
            spans.append((match.start(), match.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, spans, start: int = 0, end: int | None = None) -> Markup:
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        out.append(escape(text[pos:s]))
        out.append(Markup("<mark>") + escape(text[s:e]) + Markup("</mark>"))
        pos = e
    out.append(escape(text[pos:end]))
    return Markup("").join(out)


def highlight(text: str | None, search: Search | None) -> Markup:
    """The text, escaped, with the query's words in <mark>."""
    text = text or ""
    if len(text.lower()) != len(text):  # lowercasing changed offsets (rare letters): no marks
        return Markup(escape(text))
    return _marked(text, _spans(text, search))


def snippet(text: str | None, search: Search | None, width: int = 140) -> Markup:
    """A window of the text around its first matched word, escaped, with the words marked."""
    text = " ".join((text or "").split())  # shown as typed: only whitespace is collapsed
    if len(text.lower()) != len(text):
        return Markup(escape(text[:width]))
    spans = _spans(text, search)
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(text), start + width)
    body = _marked(text, spans, start, end)
    return (Markup("…") if start else Markup("")) + body + (Markup("…") if end < len(text) else Markup(""))
