"""Requests made the way the desk makes them: through the actions, at fixed times."""

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from guanjia.accounts.tests.factories import PostingFactory, UserFactory
from guanjia.servicedesk import actions
from guanjia.servicedesk.deadlines import SHANGHAI
from guanjia.servicedesk.models import ServiceRequest

# Monday 2 March 2026, 10:00 in Shanghai: inside office hours.
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2026, Asia/Shanghai (2 March is a Monday)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def staff(estate: Any, post: str, username: str, name: str = "") -> Any:
    user = UserFactory(username=username, display_name=name or username)
    PostingFactory(user=user, estate=estate, post=post)
    return user


def receive(cast: Any, *, now: dt.datetime = MONDAY_10, actor: Any = None, **values: Any) -> ServiceRequest:
    values.setdefault("kind", ServiceRequest.Kind.REPAIR_IN_UNIT)
    values.setdefault("channel", ServiceRequest.Channel.PHONE)
    values.setdefault("title", "厨房水管漏水")
    values.setdefault("unit", cast.unit_a)
    values.setdefault("person", cast.owner_person)
    return actions.receive_request(actor=actor or cast.assistant, estate=cast.estate, now=now, **values)


def walk(cast: Any, service_request: ServiceRequest, to: str, *, now: dt.datetime = MONDAY_10) -> ServiceRequest:
    """Move a fresh request along the main path up to status `to`, one minute per step."""
    steps = [
        (
            ServiceRequest.Status.ASSIGNED,
            lambda item, at: actions.assign_request(
                actor=cast.assistant, service_request=item, assignee=cast.butler, now=at
            ),
        ),
        (
            ServiceRequest.Status.IN_PROGRESS,
            lambda item, at: actions.start_work(actor=cast.butler, service_request=item, now=at),
        ),
        (
            ServiceRequest.Status.RESOLVED,
            lambda item, at: actions.resolve_request(actor=cast.butler, service_request=item, now=at),
        ),
        (
            ServiceRequest.Status.RETURN_VISIT,
            lambda item, at: actions.record_return_visit(
                actor=cast.butler, service_request=item, how="phone", satisfaction=5, solved=True, now=at
            ),
        ),
        (
            ServiceRequest.Status.CLOSED,
            lambda item, at: actions.close_request(actor=cast.butler, service_request=item, now=at),
        ),
    ]
    moment = now
    for status, step in steps:
        moment += dt.timedelta(minutes=1)
        step(service_request, moment)
        service_request.refresh_from_db()
        if status == to:
            return service_request
    raise AssertionError(f"not on the main path: {to}")


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    """A small real image in the given Pillow format (PNG, JPEG, WEBP)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format=image_format)
    return buffer.getvalue()


def photo_upload(name: str = "leak.png", image_format: str = "PNG") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(image_format), content_type="image/png")
