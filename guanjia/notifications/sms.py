"""The SMS interface. A provider's client implements `send(phone, text, idempotency_key=…)`
and is named in settings.SMS_BACKEND; until a contract with a provider exists, messages go
to the log. The key is the same on every try of one message (delivery is at least once):
pass it to the provider as its request or "out" id, so that it can drop a repeat."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("guanjia.sms")


class SmsBackend(Protocol):
    def send(self, phone: str, text: str, *, idempotency_key: str) -> None: ...


class LoggingBackend:
    """Writes each message to the `guanjia.sms` log instead of sending it."""

    def send(self, phone: str, text: str, *, idempotency_key: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
