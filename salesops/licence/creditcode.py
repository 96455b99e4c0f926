"""The unified social credit code as OCR reads it: checksum-guided correction of the
characters OCR confuses (GB 32100-2015).

A code that fails its check is changed only when exactly one way of undoing the usual
confusions (O→0, I→1, Z→2, S→5, B↔8, G↔6 …) gives a valid code; when none or several do,
the text read is kept and the user is asked to check it: a guess that happens to pass a
31-valued checksum would be wrong often enough to matter."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from salesops.core.validators import normalize_credit_code

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
DIGIT_PREFIX = 8  # GB 32100: the authority, type and division code are digits here (stdnum)

# What each character OCR read may really be. Characters outside the code's alphabet
# (I, O, S, V, Z) must change; valid ones only may.
CONFUSIONS = {
    "O": "0D",
    "Q": "0",
    "D": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "T": "7",
    "Z": "2",
    "S": "5",
    "B": "8",
    "G": "6",
    "A": "4",
    "V": "YU",
    "0": "DQ",
    "1": "L",
    "8": "B",
    "6": "G",
    "7": "T",
    "4": "A",
}

MAX_CANDIDATES = 256  # text this garbled is for the user to read, not for guessing
VALID, CORRECTED, UNCHECKED = "valid", "corrected", "unchecked"
_NOT_CODE = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True)
class CodeReading:
    """What became of the text read: ``valid`` as read, ``corrected`` (``value`` is the
    only valid code the confusions allow; ``raw`` what was read) or ``unchecked`` (the
    raw text, to be checked by the user: ``candidates`` says how many codes fitted)."""

    value: str
    raw: str
    status: str
    candidates: int = 0


def is_valid(code: str) -> bool:
    try:
        normalize_credit_code(code)
    except ValidationError:
        return False
    return True


def _allowed(position: int, char: str) -> bool:
    if position < DIGIT_PREFIX:
        return char.isdigit()
    return char in ALPHABET


def _options(position: int, char: str) -> tuple[list[str], list[str]]:
    """(the forced choices when ``char`` cannot stand here, else [char]; the optional swaps)."""
    swaps = [c for c in CONFUSIONS.get(char, "") if _allowed(position, c)]
    if _allowed(position, char):
        return [char], swaps
    return swaps, []


def clean(text: str) -> str:
    return _NOT_CODE.sub("", (text or "").upper().replace("０", "0"))


def correct(text: str) -> CodeReading:
    raw = clean(text)
    if len(raw) != LENGTH:
        return CodeReading(value=raw, raw=raw, status=UNCHECKED)
    if is_valid(raw):
        return CodeReading(value=raw, raw=raw, status=VALID)
    forced, optional = [], []
    for position, char in enumerate(raw):
        must, may = _options(position, char)
        if not must:  # a character no confusion explains: nothing to correct safely
            return CodeReading(value=raw, raw=raw, status=UNCHECKED)
        forced.append(must)
        optional.append(may)
    if math.prod(len(m) for m in forced) > MAX_CANDIDATES:
        return CodeReading(value=raw, raw=raw, status=UNCHECKED)
    found = {"".join(c) for c in itertools.product(*forced) if is_valid("".join(c))}
    if not found:
        # One more confusion among characters that could stand where they are.
        for base in itertools.product(*forced):
            for position, swaps in enumerate(optional):
                for swap in swaps:
                    candidate = "".join(base[:position]) + swap + "".join(base[position + 1 :])
                    if is_valid(candidate):
                        found.add(candidate)
    if len(found) == 1:
        return CodeReading(value=found.pop(), raw=raw, status=CORRECTED, candidates=1)
    return CodeReading(value=raw, raw=raw, status=UNCHECKED, candidates=len(found))
