"""The e-mail outbox is delivered over SMTP (a real SMTP server in the test: aiosmtpd):
sent once, link wiped afterwards, retried when the server is away, given up when too old,
never sent twice by two senders, nothing claimed without MAIL_SERVER."""

from __future__ import annotations

import smtplib
import socket
import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from zelfzorg.models_base import utcnow
from zelfzorg.notifications import mail
from zelfzorg.notifications.jobs import INTERVAL_JOBS
from zelfzorg.notifications.models import OutboxEmail


class Inbox:
    """aiosmtpd handler keeping every message it accepted."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def settings_for(controller) -> dict:
    return {
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,  # a local relay without TLS in the test
        "MAIL_FROM": "Zelfzorg <noreply@zelfzorg.test>",
    }


def queue(engine, n=1, *, created=None, to="jan@example.org"):
    with Session(engine) as session:
        for i in range(n):
            session.add(
                OutboxEmail(
                    to_address=to,
                    subject=f"Nieuw wachtwoord {i}",
                    body=f"Open deze link: https://zelfzorg.test/herstel/token-{i}",
                    created_at=created or utcnow(),
                )
            )
        session.commit()


def rows(engine) -> list[OutboxEmail]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all())


def test_the_job_sends_each_message_once_and_wipes_the_link(engine, smtp_server):
    controller, inbox = smtp_server
    queue(engine, 3)
    result = mail.deliver_outbox(engine, settings_for(controller))
    assert result.startswith("3 sent")
    assert len(inbox.messages) == 3
    recipients, first = inbox.messages[0]
    assert recipients == ["jan@example.org"]
    assert first["Subject"] == "Nieuw wachtwoord 0"
    assert first["From"] == "Zelfzorg <noreply@zelfzorg.test>"
    assert "token-0" in first.get_payload()
    stored = rows(engine)
    assert all(row.sent_at is not None and row.body == "" for row in stored)
    assert all(row.attempts == 1 and row.claim is None for row in stored)

    assert mail.deliver_outbox(engine, settings_for(controller)).startswith("0 sent")
    assert len(inbox.messages) == 3  # nothing sent twice


def test_the_registered_interval_job_is_this_delivery(engine, smtp_server):
    controller, inbox = smtp_server
    queue(engine)
    job = INTERVAL_JOBS["mail_send"]
    assert job.seconds <= 60
    job.func(engine, settings_for(controller))
    assert len(inbox.messages) == 1


def test_without_a_mail_server_nothing_is_claimed_and_the_rows_wait(engine):
    queue(engine, 2)
    result = mail.deliver_outbox(engine, {"MAIL_SERVER": ""})
    assert "2 e-mails waiting" in result
    assert all(r.attempts == 0 and r.sent_at is None and r.body for r in rows(engine))


def test_an_unreachable_server_keeps_the_message_and_retries_later(engine, smtp_server):
    controller, inbox = smtp_server
    queue(engine)
    away = {**settings_for(controller), "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 2}
    now = utcnow()
    result = mail.deliver_outbox(engine, away, now=now)
    assert result.startswith("0 sent, 1 not sent") and "ConnectionRefusedError" in result
    (row,) = rows(engine)
    assert row.sent_at is None and row.failed_at is None and row.body  # nothing lost
    assert row.attempts == 1 and row.last_error.startswith("ConnectionRefusedError")
    assert row.lease_until == now + mail.retry_delay(1)

    # Too early: the retry waits for its delay, even with the server back.
    assert mail.deliver_outbox(engine, settings_for(controller), now=now).startswith("0 sent")
    later = now + mail.retry_delay(1) + timedelta(seconds=1)
    assert mail.deliver_outbox(engine, settings_for(controller), now=later).startswith("1 sent")
    assert len(inbox.messages) == 1
    (row,) = rows(engine)
    assert row.attempts == 2 and row.last_error == "" and row.body == ""


def test_a_link_older_than_its_lifetime_is_given_up_not_sent(engine, smtp_server):
    controller, inbox = smtp_server
    now = utcnow()
    queue(engine, created=now - mail.MAX_AGE - timedelta(minutes=1))
    queue(engine, created=now)
    result = mail.deliver_outbox(engine, settings_for(controller), now=now)
    assert result == "1 sent, 0 not sent, 1 given up, 0 removed"
    old, new = rows(engine)
    assert old.failed_at == now and old.sent_at is None and old.body == ""
    assert new.sent_at == now
    assert [m["Subject"] for _, m in inbox.messages] == ["Nieuw wachtwoord 0"]


def test_out_of_attempts_is_given_up(engine):
    queue(engine)
    with Session(engine) as session:
        row = session.exec(select(OutboxEmail)).one()
        row.attempts = mail.MAX_ATTEMPTS
        session.commit()
    mail.deliver_outbox(engine, {"MAIL_SERVER": ""})
    (row,) = rows(engine)
    assert row.failed_at is not None and row.body == ""


def test_finished_rows_are_removed_after_a_week(engine, smtp_server):
    controller, _ = smtp_server
    now = utcnow()
    queue(engine, 2, created=now)
    mail.deliver_outbox(engine, settings_for(controller), now=now)
    result = mail.deliver_outbox(
        engine, settings_for(controller), now=now + mail.KEEP_FINISHED + timedelta(minutes=1)
    )
    assert result.endswith("2 removed")
    assert rows(engine) == []


def test_two_senders_never_claim_the_same_message(engine):
    queue(engine, 5)
    now = utcnow()
    with Session(engine) as first, Session(engine) as second:
        # Both look at the same moment and pick the same ids ...
        picked_first = mail.sendable_ids(first, now)
        first.rollback()  # (SQLite allows one writer transaction at a time)
        picked_second = mail.sendable_ids(second, now)
        second.rollback()
        assert picked_first == picked_second and len(picked_first) == 5
        # ... the first claim wins, the second finds the rows taken.
        mine = [row.id for row in mail.claim(first, picked_first[:3], now)]
        first.commit()
        theirs = [row.id for row in mail.claim(second, picked_second, now)]
        second.commit()
    assert len(mine) == 3 and len(theirs) == 2 and set(mine).isdisjoint(theirs)
    # A sender that died: its lease runs out and the rows come free again.
    with Session(engine) as third:
        again = [row.id for row in mail.claim_batch(third, now + mail.LEASE + timedelta(seconds=1))]
    assert sorted(again) == sorted(mine + theirs)


def test_a_refused_recipient_fails_only_that_message(engine, smtp_server):
    controller, inbox = smtp_server

    class RefuseOne(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            if address.startswith("weg@"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    refusing = RefuseOne()
    other = Controller(refusing, hostname="127.0.0.1", port=free_port())
    other.start()
    try:
        queue(engine, to="weg@example.org")
        queue(engine, to="jan@example.org")
        result = mail.deliver_outbox(engine, settings_for(other))
    finally:
        other.stop()
    assert result.startswith("1 sent, 1 not sent")
    refused, ok = rows(engine)
    assert refused.failed_at is not None and "550" in refused.last_error and refused.body == ""
    assert ok.sent_at is not None
    assert [r for r, _ in refusing.messages] == [["jan@example.org"]]


def test_a_relay_dropping_the_connection_at_quit_keeps_the_batch_delivered(engine, smtp_server):
    controller, inbox = smtp_server
    queue(engine, 2)

    def connect(settings):
        smtp = mail.smtp_connect(settings)

        def quit_dropped():
            smtp.close()
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

        smtp.quit = quit_dropped
        return smtp

    result = mail.deliver_outbox(engine, settings_for(controller), connect=connect)
    assert result.startswith("2 sent")
    assert len(inbox.messages) == 2
    assert all(row.sent_at is not None and row.claim is None for row in rows(engine))
    assert mail.deliver_outbox(engine, settings_for(controller)).startswith("0 sent")
    assert len(inbox.messages) == 2  # not retried
