"""The SMS interface. A provider's client implements `send(phone, text)` and is named in
settings.SMS_BACKEND; until a contract with a provider exists, messages go to the log."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("guanjia.sms")


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingBackend:
    """Writes each message to the `guanjia.sms` log instead of sending it."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
