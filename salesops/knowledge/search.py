"""Ranking: BM25 over jieba tokens, written here (about sixty lines) rather than taken
from rank-bm25, because we need what that library does not give: field weights (a word
in the title counts more than one in the body), contributions precomputed per posting so
a query over 10,000 items only touches the items that share a word with it, filters
applied before ranking, and the query's self-score for the match percentage.

Scoring (BM25F-style, k1 = 1.2, b = 0.75). An item's weighted term frequency is
``3·tf(title) + 2·tf(tags) + 1.5·tf(summary) + 1·tf(body)``, its length the same
weighted sum over all its tokens. For a query with term counts ``c_t``::

    score(d) = Σ_t c_t · idf(t) · tf_d(t)·(k1+1) / (tf_d(t) + k1·(1 − b + b·len(d)/avglen))
    idf(t)   = ln(1 + (N − df + 0.5) / (df + 0.5))

**Match percentage** = ``min(100, 100 · score(d) / score(q))`` where ``score(q)`` is the
*self-score*: the score the query itself would get if it were an item (its own tokens as
body, its own length), with the same idf, and with words no item contains counted at the
highest idf. So 100% means "the item covers every word of the pain point at least as
strongly as the pain point itself", a missing rare word costs more than a missing common
one, and 82% says the same thing on every query — unlike a raw BM25 score, which grows
with the query's length.

The index is built once per process from the stored tokens (``KnowledgeItem.search_tokens``)
and rebuilt when :class:`~.models.KnowledgeIndexState`'s version (bumped in the same
transaction as every item change) differs from the one it was built at.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from django.db.models import F

from . import text
from .models import KnowledgeIndexState, KnowledgeItem

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = (3.0, 2.0, 1.5, 1.0)  # title, tags, summary, body
CHAR_WEIGHT = 0.3  # a single character of a longer word (text.CHAR)
SEPARATOR = "\n"


def stored_tokens(*, title: str, tag_labels: list[str], summary: str, body: str) -> str:
    """The ``search_tokens`` column: one line of space-separated tokens per field."""
    fields = (title, " ".join(tag_labels), summary, body)
    return SEPARATOR.join(" ".join(text.tokens(value)) for value in fields)


@dataclass(frozen=True)
class Doc:
    id: int
    kind: str
    channel: str
    customer_types: frozenset[str]
    tag_ids: frozenset[int]


class Index:
    """Postings with each (item, term) contribution precomputed (idf included), held as
    numpy arrays grouped by term: a query adds a few vectors into a score per item
    instead of looping over postings in Python (10,000 items: see bench/knowledge.py)."""

    def __init__(self, rows: list[tuple[Doc, str]]):
        self.docs: list[Doc] = [doc for doc, _tokens in rows]
        self.size = len(self.docs)
        self.terms: dict[str, int] = {}
        doc_column, term_column, tf_column = array("i"), array("i"), array("d")
        for position, (_doc, stored) in enumerate(rows):
            weighted: dict[int, float] = defaultdict(float)
            for weight, line in zip(FIELD_WEIGHTS, stored.split(SEPARATOR), strict=False):
                # Counter counts in C; the loop below sees each distinct token once.
                for token, n in Counter(line.split()).items():
                    term = self.terms.setdefault(token, len(self.terms))
                    factor = CHAR_WEIGHT if token[0] == text.CHAR else 1.0
                    weighted[term] += weight * factor * n
            doc_column.extend([position] * len(weighted))
            term_column.extend(weighted.keys())
            tf_column.extend(weighted.values())
        docs = np.frombuffer(doc_column, dtype=np.int32)
        terms = np.frombuffer(term_column, dtype=np.int32)
        tfs = np.frombuffer(tf_column, dtype=np.float64)
        lengths = np.bincount(docs, weights=tfs, minlength=self.size)
        self.avglen = float(lengths.mean()) if self.size else 1.0
        df = np.bincount(terms, minlength=len(self.terms))
        self.idf = np.log(1 + (self.size - df + 0.5) / (df + 0.5))
        self.max_idf = self._idf(0)
        norm = K1 * (1 - B + B * lengths / (self.avglen or 1.0))
        contributions = self.idf[terms] * tfs * (K1 + 1) / (tfs + norm[docs])
        order = np.argsort(terms, kind="stable")  # by term, items in order within one
        self.post_docs = docs[order]
        self.post_values = contributions[order]
        self.offsets = np.concatenate(([0], np.cumsum(df)))

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    @property
    def postings(self) -> dict[str, int]:
        """The vocabulary (term → id), for the benchmark's figures."""
        return self.terms

    def self_score(self, counts: dict[str, float]) -> float:
        length = sum(counts.values())
        norm = K1 * (1 - B + B * length / self.avglen)
        total = 0.0
        for term, c in counts.items():
            term_id = self.terms.get(term)
            idf = self.max_idf if term_id is None else float(self.idf[term_id])
            total += c * idf * c * (K1 + 1) / (c + norm)
        return total

    def rank(self, query: str, keep=None, limit: int | None = None):
        """The items sharing a word with ``query`` (and passing ``keep(doc)``), best first
        (ties: the older item first), as (doc, score, percentage); the ``limit`` best only
        when given."""
        counts = query_weights(query)
        if not counts or not self.size:
            return []
        scores = np.zeros(self.size)
        for term, c in counts.items():
            term_id = self.terms.get(term)
            if term_id is not None:
                start, stop = self.offsets[term_id], self.offsets[term_id + 1]
                scores[self.post_docs[start:stop]] += c * self.post_values[start:stop]
        candidates = np.flatnonzero(scores > 0)
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        best = self.self_score(counts) or 1.0
        out = []
        for position in ordered.tolist():
            doc = self.docs[position]
            if keep is not None and not keep(doc):
                continue
            score = float(scores[position])
            out.append((doc, score, min(100, round(100 * score / best))))
            if limit is not None and len(out) >= limit:
                break
        return out


def query_weights(query: str) -> dict[str, float]:
    """The query's terms with their counts, a character token counting CHAR_WEIGHT."""
    weights: dict[str, float] = defaultdict(float)
    for token in text.tokens(query):
        weights[token] += CHAR_WEIGHT if token[0] == text.CHAR else 1.0
    return dict(weights)


# --- the per-process index and its version ----------------------------------------------------
_lock = threading.Lock()
_current: tuple[int, Index] | None = None
_building = False
# From this many items a rebuild (about 0.4 s per 1,000 items) runs in the background.
BACKGROUND_FROM = 2_000


def version() -> int:
    value = KnowledgeIndexState.objects.filter(pk=1).values_list("version", flat=True).first()
    if value is None:
        KnowledgeIndexState.objects.get_or_create(pk=1)
        return 1
    return value


def bump_version() -> None:
    """Mark every process's index stale (call inside the transaction that changed items)."""
    if not KnowledgeIndexState.objects.filter(pk=1).update(version=F("version") + 1):
        KnowledgeIndexState.objects.get_or_create(pk=1, defaults={"version": 2})
    # Nothing dropped here: every process, this one too, compares the stored version at
    # its next search (a large index is then rebuilt in the background, see index()).


def drop_local() -> None:
    """Forget this process's index (tests: a rolled-back version number comes back)."""
    global _current
    with _lock:
        _current = None


def build() -> Index:
    """An index of every active item, from the stored tokens (items saved without them —
    a bulk load — are tokenised here once and stored)."""
    tags: dict[int, set[int]] = defaultdict(set)
    through = KnowledgeItem.tags.through
    for item_id, tag_id in through.objects.values_list("knowledgeitem_id", "knowledgetag_id"):
        tags[item_id].add(tag_id)
    rows = []
    missing = []
    for pk, kind, channel, types, stored in KnowledgeItem.objects.filter(
        is_active=True
    ).values_list("id", "kind", "channel", "customer_types", "search_tokens"):
        doc = Doc(pk, kind, channel, frozenset(types or ()), frozenset(tags.get(pk, ())))
        if not stored:
            missing.append(pk)
        rows.append((doc, stored))
    if missing:
        filled = fill_tokens(missing)
        rows = [(doc, stored or filled.get(doc.id, "")) for doc, stored in rows]
    return Index(rows)


def fill_tokens(ids: list[int]) -> dict[int, str]:
    """Tokenise and store the items ``ids`` (a bulk load skips it)."""
    out = {}
    for item in KnowledgeItem.objects.filter(pk__in=ids).prefetch_related("tags"):
        labels = [f"{t.label_zh} {t.label_en}" for t in item.tags.all()]
        out[item.pk] = stored_tokens(
            title=item.title, tag_labels=labels, summary=item.summary, body=item.body
        )
        KnowledgeItem.objects.filter(pk=item.pk).update(search_tokens=out[item.pk])
    return out


def _build_in_background() -> None:
    """Build the index in this thread, under the version its own connection reads (the
    committed one: a build started before the change committed is stored as the old
    version, and the next search starts another)."""
    global _current, _building
    from django.db import connection

    try:
        built_version = version()
        built = build()
        with _lock:
            if _current is None or _current[0] < built_version:
                _current = (built_version, built)
    finally:
        _building = False
        connection.close()


def index() -> Index:
    """This process's index, rebuilt when the stored version moved.

    A large index (``BACKGROUND_FROM`` items and more: seconds to build) is rebuilt in a
    background thread while searches go on answering from the one held, a second or
    so out of date; a small one, or none yet, is built at once."""
    global _current, _building
    current_version = version()
    held = _current
    if held is not None and held[0] == current_version:
        return held[1]
    with _lock:
        held = _current
        if held is not None and held[0] == current_version:
            return held[1]
        if held is not None and held[1].size >= BACKGROUND_FROM:
            if not _building:
                _building = True
                threading.Thread(target=_build_in_background, daemon=True).start()
            return held[1]
        built = build()
        _current = (current_version, built)
        return built
