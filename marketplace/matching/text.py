"""Text assembly and a CJK-aware analyzer shared by the lexical scorer, reasons and inference.

Han text has no spaces, so each run of Han characters becomes overlapping character bigrams
(robust to segmentation errors and to SME wording) plus jieba words (whole terms that make
readable "shared terms" in reasons). Latin text becomes lowercase words and numbers.
"""
from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

MAX_CHARS = 8000  # longer texts are cut: beyond this the extra words add noise, not meaning

_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]{0,2000}>", re.IGNORECASE | re.DOTALL)
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN_RE = re.compile(f"[{_HAN}]+")
_TOKEN_RE = re.compile(f"[{_HAN}]+|[a-z0-9]+(?:[.+#-][a-z0-9]+)*")
_HAN_CHAR_RE = re.compile(f"[{_HAN}]")
_LATIN_CHAR_RE = re.compile(r"[A-Za-z]")

# Very common words that carry no matching evidence.
STOPWORDS: frozenset[str] = frozenset(
    """a an and are as at be by for from has have in is it its of on or our that the this to we
    with will can your you their they not no into using use via per all any more than also
    我们 我司 公司 一个 一些 进行 可以 需要 希望 目前 现在 问题 解决 提供 能够 如何 这个 那个
    没有 因为 所以 以及 通过 实现 相关 主要 比较 非常 已经 还是 就是 这样 什么 怎么 以上 以下
    企业 工厂 厂里 有限 有限公司 服务 系统 平台 方案 项目 智能 人工 人工智能 ai""".split()
)

_jieba_lock = threading.Lock()
_jieba = None


def _get_jieba():
    """Load jieba once per process (its dictionary takes about a second)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def add_words(words: Iterable[str]) -> None:
    """Teach jieba domain terms (e.g. from the scenario glossary) so they segment whole."""
    jb = _get_jieba()
    for word in words:
        if word and _HAN_RUN_RE.fullmatch(word):
            jb.add_word(word, freq=20000)


def strip_html(text: str) -> str:
    return html.unescape(_TAG_RE.sub(" ", text))


def clean(text: str | None, max_chars: int = MAX_CHARS) -> str:
    """Plain, NFKC-normalized text (full-width letters become ASCII), HTML removed, length capped."""
    if not text:
        return ""
    text = str(text)[: max_chars * 4]
    if "<" in text or "&" in text:
        text = strip_html(text)
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())[:max_chars]


def assemble(title: str | None, text: str | None, *extra: str | None) -> str:
    """The text a document is indexed and embedded by: title first, then body and extras."""
    parts = [clean(title), clean(text)] + [clean(e) for e in extra]
    return clean("\n".join(p for p in parts if p))


def han_share(text: str) -> float:
    """Share of Han characters among letters: 1.0 for Chinese, 0.0 for English or no letters."""
    han = len(_HAN_CHAR_RE.findall(text))
    latin = len(_LATIN_CHAR_RE.findall(text))
    # A Han character carries about as much as a short Latin word; weight Latin letters down.
    latin_units = latin / 5.0
    total = han + latin_units
    return han / total if total else 0.0


@lru_cache(maxsize=20_000)
def words(text: str) -> tuple[str, ...]:
    """Readable terms: jieba words (2+ characters) for Han runs, Latin words; no stopwords.
    Cached: reasons ask for the same candidates' terms again and again."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(clean(text).lower()):
        tok = match.group()
        if _HAN_RUN_RE.fullmatch(tok):
            if len(tok) <= 2:
                out.append(tok)
            else:
                out.extend(w for w in _get_jieba().lcut(tok, HMM=False) if len(w) >= 2)
        elif len(tok) >= 2 or tok.isdigit():
            out.append(tok)
    return tuple(w for w in out if w not in STOPWORDS)


def analyze(text: str, use_words: bool = True) -> list[str]:
    """Index tokens: Han character unigrams and bigrams (+ jieba words of 3+ chars) and Latin words.

    Unigrams keep recall when plain words share single characters with vendor wording
    (检 in 漏检 / 检测); bigrams reward adjacency; 3+-character words add a bonus for whole
    terms (a 2-character word already equals its bigram). Latin words are stemmed.
    """
    out: list[str] = []
    for match in _TOKEN_RE.finditer(clean(text).lower()):
        tok = match.group()
        if _HAN_RUN_RE.fullmatch(tok):
            out.extend(tok)
            out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
            if use_words and len(tok) >= 3:
                out.extend(w for w in _get_jieba().lcut(tok, HMM=False) if len(w) >= 3)
        else:
            out.append(_stem(tok))
    # Stopwords stay in the index: BM25's idf already weighs them near zero, and dropping them
    # dropped candidates that share only common words with the query (lost recall).
    return out


def analyze_plain(text: str) -> list[str]:
    """The plain reference analyzer: Han character unigrams + bigrams and lowercase Latin words,
    nothing else (no stopwords, stemming, segmentation or glossary)."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(clean(text).lower()):
        tok = match.group()
        if _HAN_RUN_RE.fullmatch(tok):
            out.extend(tok)
            out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        else:
            out.append(tok)
    return out


def _stem(word: str) -> str:
    """A tiny English plural stemmer: enough to match 'defects' with 'defect'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def format_amount(wan: float | None, english: bool) -> str:
    """An amount kept in 万元 (10,000 CNY), as people read it: "50 万元" or "¥500k" / "¥1.5M"."""
    if wan is None:
        return ""
    wan = float(wan)
    if not english:
        return f"{wan:,.2f}".rstrip("0").rstrip(".") + " 万元"
    if wan == 0:
        return "¥0"
    if wan < 100:
        return f"¥{wan * 10:,.1f}".rstrip("0").rstrip(".") + "k"
    return f"¥{wan / 100:,.2f}".rstrip("0").rstrip(".") + "M"


def format_amount_range(low: float | None, high: float | None, english: bool) -> str:
    if low is not None and high is not None:
        if low == high:
            return format_amount(low, english)
        return f"{format_amount(low, english)} – {format_amount(high, english)}"
    if low is not None:
        return ("from " if english else "") + format_amount(low, english) + ("" if english else " 起")
    if high is not None:
        return ("up to " if english else "") + format_amount(high, english) + ("" if english else " 以内")
    return ""
