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

import heapq
import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
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
    """Postings with each (item, term) contribution precomputed (idf included)."""

    def __init__(self, rows: list[tuple[Doc, str]]):
        self.docs: list[Doc] = [doc for doc, _tokens in rows]
        self.size = len(self.docs)
        frequencies: list[dict[str, float]] = []
        lengths: list[float] = []
        df: Counter[str] = Counter()
        for _doc, stored in rows:
            weighted: dict[str, float] = defaultdict(float)
            for weight, line in zip(FIELD_WEIGHTS, stored.split(SEPARATOR), strict=False):
                for token in line.split():
                    weighted[token] += weight * (CHAR_WEIGHT if token[0] == text.CHAR else 1)
            frequencies.append(weighted)
            lengths.append(sum(weighted.values()))
            df.update(weighted.keys())
        self.avglen = (sum(lengths) / self.size) if self.size else 1.0
        self.idf = {term: self._idf(n) for term, n in df.items()}
        self.max_idf = self._idf(0)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for position, weighted in enumerate(frequencies):
            norm = K1 * (1 - B + B * lengths[position] / self.avglen)
            for term, tf in weighted.items():
                contribution = self.idf[term] * tf * (K1 + 1) / (tf + norm)
                self.postings[term].append((position, contribution))
        self.postings = dict(self.postings)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def self_score(self, counts: dict[str, float]) -> float:
        length = sum(counts.values())
        norm = K1 * (1 - B + B * length / self.avglen)
        return sum(
            c * self.idf.get(term, self.max_idf) * c * (K1 + 1) / (c + norm)
            for term, c in counts.items()
        )

    def _scores(self, query: str, keep) -> tuple[dict[int, float], float]:
        counts = query_weights(query)
        if not counts or not self.size:
            return {}, 1.0
        scores: dict[int, float] = defaultdict(float)
        for term, c in counts.items():
            for position, contribution in self.postings.get(term, ()):
                scores[position] += c * contribution
        if keep is not None:
            scores = {p: s for p, s in scores.items() if keep(self.docs[p])}
        return scores, self.self_score(counts) or 1.0

    def rank(self, query: str, keep=None, limit: int | None = None):
        """The items sharing a word with ``query`` (and passing ``keep(doc)``), best first,
        as (doc, score, percentage); the ``limit`` best only when given."""
        scores, best = self._scores(query, keep)
        order = lambda pair: (-pair[1], pair[0])  # noqa: E731 — ties: the older item first
        if limit is None:
            chosen = sorted(scores.items(), key=order)
        else:
            chosen = heapq.nsmallest(limit, scores.items(), key=order)
        return [(self.docs[p], s, min(100, round(100 * s / best))) for p, s in chosen]


def query_weights(query: str) -> dict[str, float]:
    """The query's terms with their counts, a character token counting CHAR_WEIGHT."""
    weights: dict[str, float] = defaultdict(float)
    for token in text.tokens(query):
        weights[token] += CHAR_WEIGHT if token[0] == text.CHAR else 1.0
    return dict(weights)


# --- the per-process index and its version ----------------------------------------------------
_lock = threading.Lock()
_current: tuple[int, Index] | None = None


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
    # At once (this process's next search in this transaction sees the change) and again
    # after commit (a search in between may have rebuilt from the old rows).
    drop_local()
    transaction.on_commit(drop_local)


def drop_local() -> None:
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


def index() -> Index:
    """This process's index, rebuilt when the stored version moved."""
    global _current
    current_version = version()
    held = _current
    if held is not None and held[0] == current_version:
        return held[1]
    with _lock:
        held = _current
        if held is not None and held[0] == current_version:
            return held[1]
        built = build()
        _current = (current_version, built)
        return built
