"""Checks on Chinese identity numbers and phone numbers, with messages that name the problem."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_PATTERN = re.compile(r"^0\d{2,3}-?\d{7,8}$")


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


def normalize_phone(phone: str) -> str:
    return re.sub(r"[\s()]", "", phone or "").removeprefix("+86")


def phone_problem(phone: str) -> str | None:
    if MOBILE_PATTERN.match(phone) or LANDLINE_PATTERN.match(phone):
        return None
    return _("A phone number is an 11-digit mobile number starting with 1, or a landline such as 021-12345678.")
