"""Checks on Chinese identity numbers and phone numbers, with messages that name the problem."""

from __future__ import annotations

import datetime
import re
import unicodedata

import phonenumbers
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
# A number is written with its own country's digits; what has no country code is Chinese.
DEFAULT_PHONE_REGION = "CN"
CHINA_CALLING_CODE = 86
PHONE_PUNCTUATION = re.compile(r"[\s\-()./·—–]")


def id_check_character(first_seventeen: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_seventeen, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARACTERS[total % 11]


def resident_id_problem(number: str) -> str | None:
    """None when `number` is a valid 18-character resident identity card number (居民身份证)."""
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return _("An ID card number has 18 characters: 17 digits and a digit or X.")
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _("The birth date inside the ID card number is not a real date.")
    if id_check_character(number[:17]) != number[17]:
        return _("The ID card number's check digit is wrong; please check the number.")
    return None


def parse_phone(text: str) -> phonenumbers.PhoneNumber | None:
    """The valid phone number `text` spells, however it is written (138-1234-5678, +86 138…,
    0086…, full-width digits, 0571-88886666, +852 9123 4567), or None."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def canonical_phone(number: phonenumbers.PhoneNumber) -> str:
    """The one stored form: a Chinese number as its national digits (13812345678,
    057188886666: what the SMS gateway, the masks and the clerks expect), any other in E.164
    (+85291234567). Either way every character after an optional + is a digit, so a tail of
    the digits is a tail of the stored text."""
    if number.country_code == CHINA_CALLING_CODE:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", national)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(phone: str) -> str:
    """The stored form of a phone number as typed; text that is no valid number comes back
    tidied only, for phone_problem to refuse. Every phone input goes through here."""
    text = unicodedata.normalize("NFKC", phone or "").strip()
    compact = PHONE_PUNCTUATION.sub("", text)
    if MOBILE_PATTERN.match(compact):
        return compact  # the usual case, without the parser (imports check 100,000 rows)
    number = parse_phone(text)
    return canonical_phone(number) if number is not None else compact


def phone_problem(phone: str) -> str | None:
    """None when `phone` is a valid number (store it as normalize_phone writes it)."""
    if MOBILE_PATTERN.match(phone) or parse_phone(phone) is not None:
        return None
    return _(
        "Enter a valid phone number: an 11-digit mobile number such as 138 1234 5678, a landline "
        "with its area code such as 0571-88886666, or a number with its country code such as "
        "+852 9123 4567."
    )


def phone_digits(phone: str) -> str:
    """The digits of a stored phone number, for searching by its tail."""
    return phone.removeprefix("+")
