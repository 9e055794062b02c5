"""Delivery of the e-mail outbox over SMTP (the ``mail_send`` interval job).

Rows are claimed with a lease (a conditional UPDATE on a random claim token), so several
scheduler processes never send the same message twice while a crashed sender's rows come
free again when the lease ends. A failed attempt is retried with a growing delay; a message
older than its content's lifetime (a reset link lives an hour) is given up instead of sent
late. Once a message is sent or given up its body (the link) is wiped, and finished rows are
deleted after a week. Nothing here imports Flask: settings come in as a mapping.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from zelfzorg.db import session_scope
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.models import OutboxEmail

BATCH = 50
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
# A reset link is valid for an hour (accounts/resets.py LINK_VALID): later it only confuses.
MAX_AGE = timedelta(hours=1)
KEEP_FINISHED = timedelta(days=7)

Connect = Callable[[Mapping], smtplib.SMTP]


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the n-th failed attempt, at most 30."""
    return timedelta(minutes=min(30, 2 ** max(0, attempts - 1)))


def smtp_connect(settings: Mapping) -> smtplib.SMTP:
    """An SMTP connection as the settings describe: implicit TLS (MAIL_USE_SSL), STARTTLS
    (MAIL_USE_TLS, the default) or plain on a trusted relay, then login when a user is set."""
    host = settings["MAIL_SERVER"]
    port = int(settings.get("MAIL_PORT") or (465 if settings.get("MAIL_USE_SSL") else 587))
    timeout = float(settings.get("MAIL_TIMEOUT") or 10)
    context = ssl.create_default_context()
    if settings.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if settings.get("MAIL_USE_TLS", True):
            smtp.starttls(context=context)
    if settings.get("MAIL_USERNAME"):
        smtp.login(settings["MAIL_USERNAME"], settings.get("MAIL_PASSWORD") or "")
    return smtp


def pending_count(session: Session) -> int:
    return session.exec(
        select(sa.func.count())
        .select_from(OutboxEmail)
        .where(col(OutboxEmail.sent_at).is_(None), col(OutboxEmail.failed_at).is_(None))
    ).one()


def give_up_stale(session: Session, now: datetime) -> int:
    """Unsent messages past their lifetime or out of attempts: marked failed, body wiped."""
    result = session.execute(
        sa.update(OutboxEmail)
        .where(
            col(OutboxEmail.sent_at).is_(None),
            col(OutboxEmail.failed_at).is_(None),
            sa.or_(
                col(OutboxEmail.created_at) < now - MAX_AGE,
                col(OutboxEmail.attempts) >= MAX_ATTEMPTS,
            ),
            sa.or_(col(OutboxEmail.lease_until).is_(None), col(OutboxEmail.lease_until) < now),
        )
        .values(failed_at=now, body="", claim=None, lease_until=None)
    )
    return result.rowcount or 0


def prune_finished(session: Session, now: datetime) -> int:
    result = session.execute(
        sa.delete(OutboxEmail).where(
            sa.or_(
                col(OutboxEmail.sent_at) < now - KEEP_FINISHED,
                col(OutboxEmail.failed_at) < now - KEEP_FINISHED,
            )
        )
    )
    return result.rowcount or 0


def _free(now: datetime):
    return sa.and_(
        col(OutboxEmail.sent_at).is_(None),
        col(OutboxEmail.failed_at).is_(None),
        sa.or_(col(OutboxEmail.lease_until).is_(None), col(OutboxEmail.lease_until) < now),
    )


def sendable_ids(session: Session, now: datetime, *, limit: int = BATCH) -> list[int]:
    return list(
        session.exec(
            select(OutboxEmail.id).where(_free(now)).order_by(col(OutboxEmail.id)).limit(limit)
        ).all()
    )


def claim(session: Session, ids: list[int], now: datetime) -> list[OutboxEmail]:
    """Claim these rows for one sender. The UPDATE repeats the free-row condition, so when
    two senders picked the same ids only one of them gets each row (the other's UPDATE
    finds it taken: on PostgreSQL it waits for the row lock, then re-checks)."""
    if not ids:
        return []
    token = str(uuid.uuid4())
    session.execute(
        sa.update(OutboxEmail)
        .where(col(OutboxEmail.id).in_(ids), _free(now))
        .values(claim=token, lease_until=now + LEASE, attempts=OutboxEmail.attempts + 1)
    )
    session.flush()
    return list(
        session.exec(
            select(OutboxEmail).where(OutboxEmail.claim == token).order_by(col(OutboxEmail.id))
        ).all()
    )


def claim_batch(session: Session, now: datetime, *, limit: int = BATCH) -> list[OutboxEmail]:
    return claim(session, sendable_ids(session, now, limit=limit), now)


def as_message(row: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(row.body)
    return message


def deliver_outbox(
    engine: Engine,
    settings: Mapping,
    *,
    now: datetime | None = None,
    connect: Connect = smtp_connect,
) -> str:
    """Send what is due. Without ``MAIL_SERVER`` nothing is claimed (the rows wait)."""
    now = now or utcnow()
    with session_scope(engine) as session:
        given_up = give_up_stale(session, now)
        pruned = prune_finished(session, now)
        if not settings.get("MAIL_SERVER"):
            waiting = pending_count(session)
            return f"no MAIL_SERVER set: {waiting} e-mails waiting, {given_up} given up"
        rows = claim_batch(session, now)
        claimed = [(row.id, as_message(row, settings.get("MAIL_FROM") or "")) for row in rows]
    if not claimed:
        return f"0 sent, {given_up} given up, {pruned} removed"

    sent: list[int] = []
    error = ""
    try:
        smtp = connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        error = _short(exc)
    else:
        try:
            for row_id, message in claimed:
                try:
                    smtp.send_message(message)
                except smtplib.SMTPRecipientsRefused as exc:
                    _mark_failed(engine, row_id, _short(exc), now)
                    continue
                sent.append(row_id)
                _mark_sent(engine, row_id, now)
        except (OSError, smtplib.SMTPException) as exc:
            error = _short(exc)
        finally:
            # The batch is sent or marked by now: a relay that drops the connection at QUIT
            # must not turn a delivered batch into a retry.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    if error:
        _release_unsent(engine, [row_id for row_id, _ in claimed], error, now)
    failed = len(claimed) - len(sent)
    text = f"{len(sent)} sent, {failed} not sent, {given_up} given up, {pruned} removed"
    return text + (f" ({error})" if error else "")


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _mark_sent(engine: Engine, row_id: int, now: datetime) -> None:
    # One short transaction per message: a crash after sending repeats at most this one.
    with session_scope(engine) as session:
        session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == row_id)
            .values(sent_at=now, body="", claim=None, lease_until=None, last_error="")
        )


def _mark_failed(engine: Engine, row_id: int, error: str, now: datetime) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(OutboxEmail)
            .where(OutboxEmail.id == row_id)
            .values(failed_at=now, body="", claim=None, lease_until=None, last_error=error)
        )


def _release_unsent(engine: Engine, row_ids: list[int], error: str, now: datetime) -> None:
    """The server could not be reached or broke off: keep the unsent rows, retry later."""
    with session_scope(engine) as session:
        for row in session.exec(
            select(OutboxEmail).where(
                col(OutboxEmail.id).in_(row_ids),
                col(OutboxEmail.sent_at).is_(None),
                col(OutboxEmail.failed_at).is_(None),
            )
        ):
            row.claim = None
            row.lease_until = now + retry_delay(row.attempts)
            row.last_error = error
