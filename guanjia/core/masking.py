"""Masked forms of personal data, shown by default everywhere."""


def mask_phone(phone: str) -> str:
    """138****1234: the first three and the last four digits; a number stored in E.164
    (+85291234567, core.validators.canonical_phone) keeps its + too: +852****4567."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:]
    shown = 4 if phone.startswith("+") else 3
    return phone[:shown] + "****" + phone[-4:]


def mask_id_number(number: str) -> str:
    """First six and last four (the region and the check digits), the rest starred."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * (len(number) - 2) + number[-2:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
