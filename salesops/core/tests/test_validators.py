"""Phone numbers: the fast path for plain Chinese mobile numbers gives exactly what the
full parse gives (the same stored form, the same refusal)."""

import random

import pytest
from django.core.exceptions import ValidationError

from salesops.core import validators
from salesops.core.validators import _normalize_phone_by_parsing, normalize_phone


def _outcome(function, text):
    try:
        return "ok", function(text)
    except ValidationError as exc:
        return "error", [str(m) for m in exc.messages]


def test_plain_mobile_numbers_normalise_as_the_full_parse_does_for_every_prefix():
    """Every five-digit prefix 13000–19999 (China's patterns for these numbers decide by
    the first five digits), with the lowest, the highest and a random rest; twice, so the
    second round answers from the prefix cache."""
    rng = random.Random(19)
    texts = []
    for prefix in range(13000, 20000):
        if str(prefix).startswith("179"):
            continue  # 179… may be a carrier prefix: always the full parse
        for rest in ("000000", "999999", f"{rng.randrange(1_000_000):06d}"):
            texts.append(f"{prefix}{rest}")
    validators._MOBILE_PREFIX_VALID.clear()
    for _round in range(2):
        for text in texts:
            # The same stored form, or the same message ("not a valid phone number").
            assert _outcome(normalize_phone, text) == _outcome(_normalize_phone_by_parsing, text), (
                text
            )
    assert validators._MOBILE_PREFIX_VALID  # the fast path was taken


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13800138000", "+8613800138000"),
        (" 13800138000 ", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),  # full-width digits: the full parse
        ("01012345678", "+861012345678"),
        ("17400012345", "+8617400012345"),
    ],
)
def test_other_forms_still_take_the_full_parse(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize("text", ["12345", "10000000000", "17406012345", "1380013800a"])
def test_bad_numbers_are_refused(text):
    with pytest.raises(ValidationError):
        normalize_phone(text)
