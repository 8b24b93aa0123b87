"""The outbox: written with the change, sent after commit by the real worker, retried while
the mail server is down, sent once while no worker dies (at least once if one does), and
never holding up page writes while the server is silent."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import logging
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections, transaction
from django.utils import timezone

from guanjia.core.testing import run_worker, wait_for
from guanjia.notifications import actions
from guanjia.notifications.models import Notification, OutboxMessage
from guanjia.notifications.tasks import deliver_outbox

EMAIL, SMS = OutboxMessage.Channel.EMAIL, OutboxMessage.Channel.SMS


class Mailbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        with self.lock:
            self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_settings(settings, monkeypatch):
    """Mail goes over SMTP to a port on this machine; the worker subprocess gets the same."""
    port = free_port()
    values = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings.EMAIL_BACKEND = values["DJANGO_EMAIL_BACKEND"]
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    return port


def with_email(user, address: str):
    user.email = address
    user.save(update_fields=["email"])
    return user


def test_notify_writes_the_inbox_row_and_one_outbox_row_per_reachable_channel(cast):
    owner = with_email(cast.owner, "zhangsan@example.com")  # and a phone, through the archive entry
    notification = actions.notify(recipient=owner, subject="快递到了", body="取件码 123456", estate=cast.estate)
    assert notification is not None
    assert sorted(notification.outbox.values_list("channel", flat=True)) == [EMAIL, SMS]
    assert set(notification.outbox.values_list("status", flat=True)) == {OutboxMessage.Status.PENDING}
    # A manager without email or phone is told in the app only.
    bare = actions.notify(recipient=cast.manager, subject="逾期提醒")
    assert bare is not None and not bare.outbox.exists()


def test_a_repeated_dedupe_key_notifies_once(cast):
    first = actions.notify(recipient=cast.owner, subject="包裹待取", dedupe_key="parcel:1:unclaimed")
    again = actions.notify(recipient=cast.owner, subject="包裹待取", dedupe_key="parcel:1:unclaimed")
    assert first is not None and again is None
    assert Notification.objects.filter(recipient=cast.owner).count() == 1
    # The same key for somebody else is their own notification.
    assert actions.notify(recipient=cast.butler, subject="包裹待取", dedupe_key="parcel:1:unclaimed") is not None


def test_a_rolled_back_change_leaves_no_notification(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.notify(recipient=cast.owner, subject="不会发出")
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_sms_goes_to_the_logging_backend_once(cast, caplog):
    actions.notify(recipient=cast.owner, subject="维修已完成", channels=[SMS])
    with caplog.at_level(logging.INFO, logger="guanjia.sms"):
        assert actions.deliver_due() == 1
        assert actions.deliver_due() == 0
    logged = [record.getMessage() for record in caplog.records if record.name == "guanjia.sms"]
    assert logged == ["SMS to 13812341234: 维修已完成"]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


def test_a_failed_send_waits_with_a_growing_back_off(cast, smtp_settings):
    with_email(cast.owner, "zhangsan@example.com")
    actions.notify(recipient=cast.owner, subject="账单提醒", channels=[EMAIL])
    now = timezone.now()
    assert actions.deliver_due(now) == 0  # nobody listens on the port
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert message.next_attempt_at == now + dt.timedelta(minutes=1)
    assert message.last_error
    assert actions.deliver_due(now) == 0  # not due again yet: nothing tried
    assert OutboxMessage.objects.get().attempts == 1
    assert [actions.retry_delay(n) for n in (1, 2, 3, 8, 20)] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 120, 120)]


def test_an_address_removed_before_sending_is_not_sent_anywhere(cast, smtp_settings):
    owner = with_email(cast.owner, "zhangsan@example.com")
    actions.notify(recipient=owner, subject="账单提醒", channels=[EMAIL])
    with_email(owner, "")
    assert actions.deliver_due() == 0
    assert "no address" in OutboxMessage.objects.get().last_error


@pytest.mark.django_db(transaction=True)
def test_mail_waits_while_the_smtp_server_is_down_and_goes_out_exactly_once(cast, smtp_settings):
    """Through the real worker: queued after commit, tried while the server is down, sent
    once it is up, and never again."""
    owner = with_email(cast.owner, "zhangsan@example.com")
    mailbox = Mailbox()
    with run_worker() as worker:
        with transaction.atomic():
            actions.notify(recipient=owner, subject="您的报修已完成", body="请确认", channels=[EMAIL])
        # The commit enqueued a delivery; the worker tried it and the server is down.
        # The claim counts the try before the send; the failure is recorded after it.
        tried = OutboxMessage.objects.filter(attempts=1).exclude(last_error="")
        wait_for(tried.exists, worker=worker, message="a first try")
        message = OutboxMessage.objects.get()
        assert message.status == OutboxMessage.Status.PENDING and message.last_error

        server = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings)
        server.start()
        try:
            later = (timezone.now() + dt.timedelta(minutes=5)).isoformat()
            deliver_outbox(later)  # the retry after the back-off
            wait_for(
                lambda: OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).exists(),
                worker=worker,
                message="the mail sent",
            )
            wait_for(lambda: len(mailbox.messages) == 1, message="the server to have it")
            # More deliveries find nothing due: the mail is not sent a second time.
            results = [deliver_outbox(later), deliver_outbox(later)]
            assert [result.get(blocking=True, timeout=30) for result in results] == [0, 0]
        finally:
            server.stop()
    assert len(mailbox.messages) == 1
    mail = email.message_from_bytes(mailbox.messages[0].encode("utf-8"), policy=email.policy.default)
    assert mail["Subject"] == "您的报修已完成"
    assert mail["To"] == "zhangsan@example.com"
    assert mail.get_content().split() == ["您的报修已完成", "请确认"]  # the subject, then the body
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)


class SlowMailbox(Mailbox):
    """Holds each message a moment, so that a second deliverer arrives while the first sends."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_send_each_mail_once(cast, smtp_settings):
    """On PostgreSQL: two workers' threads deliver the same queue at the same moment; the
    row lock (skip locked) gives each message to one of them."""
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two real connections to a server database")
    owner = with_email(cast.owner, "zhangsan@example.com")
    for number in range(3):
        actions.notify(recipient=owner, subject=f"通知 {number}", channels=[EMAIL])
    mailbox = SlowMailbox()
    server = Controller(mailbox, hostname="127.0.0.1", port=smtp_settings)
    server.start()
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def deliver():
        try:
            barrier.wait()
            sent.append(actions.deliver_due())
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    assert sum(sent) == 3
    assert len(mailbox.messages) == 3
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT, attempts=1).count() == 3


class Tarpit:
    """A mail server that accepts connections and never says a word: the SMTP client waits
    for a greeting that does not come, until its own timeout."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted.append(client)
            self.connected.set()

    def close(self) -> None:
        self.listener.close()
        for client in self.accepted:
            client.close()


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_never_answers_does_not_hold_up_page_writes(cast, client, settings):
    """On the SQLite file database as on PostgreSQL: while the outbox waits on a silent mail
    server, a page write goes through at once (no "database is locked", under 2 s); the
    message is then retried later, not lost."""
    tarpit = Tarpit()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", tarpit.port, 3
    owner = with_email(cast.owner, "zhangsan@example.com")
    actions.notify(recipient=owner, subject="账单提醒", channels=[EMAIL])
    to_read = actions.notify(recipient=owner, subject="包裹到了", channels=[])
    assert to_read is not None
    client.force_login(owner)  # signing in writes too: done before the mail server is reached
    assert client.get("/inbox/").status_code == 200  # the first request's start-up, not timed
    outcome: list[int] = []

    def deliver() -> None:
        try:
            outcome.append(actions.deliver_due())
        finally:
            connections.close_all()

    sender = threading.Thread(target=deliver)
    sender.start()
    try:
        assert tarpit.connected.wait(10), "the outbox never reached the mail server"
        started = time.monotonic()
        response = client.post(f"/inbox/{to_read.pk}/read/")
        took = time.monotonic() - started
        assert response.status_code == 302
        assert took < 2, f"the page write waited {took:.1f}s for the mail server"
        assert Notification.objects.get(pk=to_read.pk).read_at is not None
    finally:
        sender.join(30)
        tarpit.close()
    assert outcome == [0]
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert message.last_error and message.next_attempt_at > timezone.now()


def test_a_message_whose_sender_died_is_sent_again_with_the_same_message_id(cast, settings, mailoutbox):
    """At least once: a deliverer that claimed a message and died before recording it
    leaves it to the next one after the send lease, and both tries carry one Message-ID."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with_email(cast.owner, "zhangsan@example.com")
    actions.notify(recipient=cast.owner, subject="账单提醒", channels=[EMAIL])
    now = timezone.now()
    claimed = actions.claim_due(now)
    assert claimed is not None
    actions.send(claimed)  # ... and the worker is killed before it records the outcome
    assert actions.deliver_due(now) == 0  # claimed: nobody else takes it meanwhile
    later = now + actions.send_lease() + dt.timedelta(seconds=1)
    assert actions.deliver_due(later) == 1
    first, second = mailoutbox
    assert (
        first.extra_headers["Message-ID"]
        == second.extra_headers["Message-ID"]
        == f"<guanjia-outbox-{claimed.pk}@guanjia>"
    )
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)
