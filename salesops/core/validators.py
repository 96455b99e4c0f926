"""Validation and normalisation of Chinese business identifiers (used by every app)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc


def normalize_credit_code(value: str) -> str:
    """Upper-case, spaces and dashes removed; raises ValidationError with the reason."""
    if not value:
        return ""
    try:
        return uscc.validate(value)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _(
                "The unified social credit code's check digit is wrong; please check the last character."
            ),
            code="checksum",
        ) from None
    except stdnum_errors.InvalidLength:
        raise ValidationError(
            _("The unified social credit code must have 18 characters."), code="length"
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _(
                "This is not a valid unified social credit code (18 digits and capital letters, no I, O, Z, S or V)."
            ),
            code="format",
        ) from None


def normalize_phone(value: str, region: str | None = None) -> str:
    """A phone number in E.164 (``+8613800138000``). Accepts ``138 0013 8000``,
    ``+86-13800138000``, ``0086 138…``, landlines with area codes. Raises ValidationError."""
    if not value or not str(value).strip():
        return ""
    region = region or settings.SALESOPS.get("DEFAULT_PHONE_REGION", "CN")
    text = str(value).strip()
    if region == "CN" and len(text) == 11 and text[1] in "3456789" and text[0] == "1":
        if text.isascii() and text.isdigit() and not text.startswith("179"):
            if _plain_cn_mobile_valid(text):
                return "+86" + text
            raise ValidationError(
                _("“%(value)s” is not a valid phone number; check the number of digits."),
                code="invalid",
                params={"value": value},
            )
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _(
                "“%(value)s” is not a phone number; use a mobile like 138 0013 8000 or a landline with its area code."
            ),
            code="invalid",
            params={"value": value},
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number; check the number of digits."),
            code="invalid",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Whether the numbers of a seven-digit prefix are valid, by the library's verdict on the
# first one seen (see _plain_cn_mobile_valid).
_MOBILE_PREFIX_VALID: dict[str, bool] = {}


def _plain_cn_mobile_valid(text: str) -> bool:
    """The library's validity of ``text``, eleven ASCII digits 13…–19… (not 179…), read
    in China: what ``parse`` gives for it is always the national number ``int(text)``
    with country code 86 (no ``+``, no national prefix to strip: those start with 0,
    11, 12 or 179) and its E.164 form is ``+86`` and the digits, so only the validity is
    asked. China's patterns for such numbers (mobile; the fixed-line and shared-cost
    ones start 10) decide by the first five digits; the verdict is kept per seven-digit
    prefix. core/tests/test_validators.py compares this with the full parse for every
    five-digit prefix, so a library update that changes the rules fails that test."""
    prefix = text[:7]
    valid = _MOBILE_PREFIX_VALID.get(prefix)
    if valid is None:
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(text))
        valid = _MOBILE_PREFIX_VALID[prefix] = phonenumbers.is_valid_number(number)
    return valid


def _normalize_phone_by_parsing(value: str, region: str = "CN") -> str:
    """:func:`normalize_phone` without the fast path (the tests compare the two)."""
    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("parse", code="invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number; check the number of digits."),
            code="invalid",
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    if len(e164) == 14 and e164.startswith("+861") and e164[1:].isdigit():
        # A Chinese mobile number (the common case, 100,000 of them in a large export):
        # grouped 3-4-4 without parsing, once the library has shown for this prefix
        # that it formats the same way.
        fast = f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
        prefix = e164[:7]
        same = _MOBILE_PREFIX_GROUPED.get(prefix)
        if same is None:
            same = _MOBILE_PREFIX_GROUPED[prefix] = _display_phone(e164) == fast
        if same:
            return fast
    return _display_phone(e164)


# "+86" and the first four digits of a mobile number → whether the library groups it 3-4-4.
_MOBILE_PREFIX_GROUPED: dict[str, bool] = {}


def _display_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_credit_code(value: str) -> None:
    normalize_credit_code(value)


def validate_phone(value: str) -> None:
    normalize_phone(value)


def link_problem(value) -> str | None:
    """Why ``value`` may not be a link a page shows (None when it may): only absolute
    http(s) URLs with a host, or a file uploaded here (under ``MEDIA_URL``). Everything
    else — ``javascript:``, ``data:``, protocol-relative ``//host`` — could run script or
    leave the site unannounced when a colleague clicks it."""
    from urllib.parse import urlsplit

    text = str(value or "").strip()
    if not text:
        return None
    if any(ord(c) < 33 for c in text):
        return str(_("A link cannot contain spaces or control characters."))
    media = str(getattr(settings, "MEDIA_URL", "") or "")
    if media.startswith("/") and media != "/" and text.startswith(media) and "//" not in text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return str(_("Only http:// and https:// links (or uploaded files) are allowed."))
    return None


def safe_link(value) -> str:
    """``value`` when :func:`link_problem` finds nothing wrong with it, else ""."""
    return "" if link_problem(value) else str(value).strip()


def merge_errors(*error_dicts: dict) -> dict[str, list]:
    """Merge ``{field: messages}`` dicts into one for a single ValidationError, keeping
    every message for a field; a lone message (text or ValidationError) counts as a list."""
    merged: dict[str, list] = {}
    for errors in error_dicts:
        for field, messages in errors.items():
            if isinstance(messages, str | ValidationError):
                messages = [messages]
            merged.setdefault(field, []).extend(messages)
    return merged
