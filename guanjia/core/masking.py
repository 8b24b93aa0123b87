"""Masked forms of personal data, shown by default everywhere."""


def mask_phone(phone: str) -> str:
    """138****1234: the first three and the last four digits."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(number: str) -> str:
    """First six and last four (the region and the check digits), the rest starred."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * (len(number) - 2) + number[-2:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
