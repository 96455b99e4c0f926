"""Checksum-guided correction of a credit code as OCR reads it: only a correction that is
the one way to a valid check digit is made; otherwise the text read is kept for the user.
The codes are real-checksum ones (GB 32100-2015), checked again with python-stdnum."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from salesops.licence import creditcode
from salesops.licence.tests.synthetic import check_char

pytestmark = pytest.mark.django_db  # the project's autouse fixtures restore seeded rows

VALID = "91330106DY1FUBJH69"  # check digit 9 by GB 32100's weights


def test_the_fixture_codes_are_valid_by_stdnum_and_by_the_generator():
    assert uscc.is_valid(VALID)
    assert check_char(VALID[:17]) == VALID[17]


def test_a_valid_code_is_kept_as_read():
    reading = creditcode.correct(" 9133 0106-DY1F UBJH69 ")
    assert (reading.value, reading.status) == (VALID, creditcode.VALID)


@pytest.mark.parametrize(
    "read",
    [
        "91330106DYIFUBJH69",  # I for 1 after the digit prefix
        "9133O106DY1FUBJH69",  # O for 0 in the digit prefix
        "9I330106DY1FUBJH69",  # I for 1 in the digit prefix
        "9133D106DY1FUBJH69",  # D (a code character, but not in the digit prefix) for 0
    ],
)
def test_a_character_that_cannot_stand_there_is_corrected_when_one_code_fits(read):
    reading = creditcode.correct(read)
    assert (reading.value, reading.status, reading.raw) == (VALID, creditcode.CORRECTED, read)
    assert uscc.is_valid(reading.value)


def test_a_forced_correction_that_fails_the_check_is_not_made():
    # S is no code character; it can only be 5, and …H65 fails the check digit.
    read = "91330106DY1FUBJH6S"
    assert not uscc.is_valid(read[:17] + "5")
    reading = creditcode.correct(read)
    assert (reading.value, reading.status) == (read, creditcode.UNCHECKED)


def _one_swap_fits(read: str) -> list[str]:
    """Every code one confusion away from ``read`` that passes stdnum's check."""
    return [
        read[:i] + swap + read[i + 1 :]
        for i, char in enumerate(read)
        for swap in creditcode.CONFUSIONS.get(char, "")
        if (i >= 8 or swap.isdigit()) and uscc.is_valid(read[:i] + swap + read[i + 1 :])
    ]


def test_a_valid_looking_confusion_is_corrected_when_exactly_one_swap_fits():
    code = "91440300M6P80W1T2" + check_char("91440300M6P80W1T2")
    assert uscc.is_valid(code)
    # The 6 read as G: every character is still a code character, but the check fails.
    read = code[:9] + "G" + code[10:]
    assert _one_swap_fits(read) == [code]
    reading = creditcode.correct(read)
    assert (reading.value, reading.status) == (code, creditcode.CORRECTED)


def test_several_fitting_codes_keep_the_text_and_flag_it():
    # The 1 read as L: L→1 fits, and so does another confusion elsewhere.
    read = "91330106DYLFUBJH69"
    fits = _one_swap_fits(read)
    assert VALID in fits and len(fits) >= 2  # the true code and at least one impostor
    reading = creditcode.correct(read)
    assert (reading.value, reading.status) == (read, creditcode.UNCHECKED)
    assert reading.candidates == len(fits)


@pytest.mark.parametrize("read", ["", "9133010", "91330106DY1FUBJH6912", "91330106DY1FUBJH6#"])
def test_a_wrong_length_is_never_guessed(read):
    reading = creditcode.correct(read)
    assert reading.status == creditcode.UNCHECKED
    assert reading.value == creditcode.clean(read)


def test_a_check_digit_no_confusion_explains_stays_flagged():
    read = VALID[:17] + ("8" if VALID[17] != "8" else "7")
    reading = creditcode.correct(read)
    assert reading.status == creditcode.UNCHECKED
    assert reading.value == read
