"""In-app notifications, an optional e-mail outbox, and claims for scheduled job runs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.models_base import utc_column, utcnow


class Notification(SQLModel, table=True):
    """A message for one user; ``key`` makes creation idempotent per recipient."""

    __tablename__ = "notification"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_notification_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=50)
    # Dutch msgid plus JSON params, translated when shown in the recipient's language.
    message: str = Field(max_length=500)
    params: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    link: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=utc_column())


class JobRun(SQLModel, table=True):
    """A claimed run of a periodic job: the unique key makes each run happen once."""

    __tablename__ = "job_run"
    __table_args__ = (sa.UniqueConstraint("job", "run_key", name="uq_job_run_job_key"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=100)
    run_key: str = Field(max_length=100)
    claimed_by: str = Field(max_length=100)
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column())
    result: str = Field(default="", max_length=500)


class OutboxEmail(SQLModel, table=True):
    """An e-mail waiting to be sent (only when ``MAIL_OUTBOX`` is on). The ``mail_send`` job
    (:mod:`zelfzorg.notifications.mail`) claims unsent rows with a lease, sends them over
    SMTP and sets ``sent_at``, or ``failed_at`` once retrying is pointless. Holds no patient
    data: password reset links only, and the body (the link) is wiped once it is sent or
    given up."""

    __tablename__ = "outbox_email"
    __table_args__ = (sa.Index("ix_outbox_email_pending", "sent_at", "failed_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    attempts: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    # The sender that holds the row until ``lease_until`` (a random claim token, never reused).
    claim: str | None = Field(default=None, max_length=36)
    lease_until: datetime | None = Field(default=None, sa_column=utc_column())
    last_error: str = Field(default="", max_length=200)
    failed_at: datetime | None = Field(default=None, sa_column=utc_column())
