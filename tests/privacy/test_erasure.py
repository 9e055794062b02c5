"""The erasure workflow: request, review, second confirmation, deletion of every patient-owned
table, the stub, the audit chain, notifications, concurrency and the practice's scope."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, inspect, select, text
from sqlmodel import Session, SQLModel

from tests.accounts.test_access_layer import _records, patient_owned_models
from tests.contracting.helpers import add_goal
from tests.factories import make_patient, make_user
from tests.privacy.helpers import make_request, second_poh
from zelfzorg.accounts.models import ApiToken, Discipline, Role, User
from zelfzorg.accounts.scope import patient_id_of
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.audit.services import verify
from zelfzorg.contracting.reproduce import causes, compare, store_report
from zelfzorg.contracting.services import compute_report
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.notifications.models import Notification
from zelfzorg.notifications.services import notify
from zelfzorg.patients.models import Patient, Sex
from zelfzorg.privacy import erasure
from zelfzorg.privacy.models import ErasureRequest, ErasureStatus

REASON = "Ik gebruik Zelfzorg niet meer."
# Kept on purpose (README "Right of access and erasure"): the stub and the request itself.
KEPT = {"patient", "erasure_request"}


def rows_of(db: Session, patient_id: int) -> dict[str, int]:
    """Rows per patient-owned table that belong to the patient, found from the metadata (not
    from the service's own list), so a table the service forgot shows here."""
    counts = {}
    for name, model in patient_owned_models().items():
        table = SQLModel.metadata.tables[name]
        if "patient_id" in table.c:
            counts[name] = db.execute(
                select(func.count()).select_from(table).where(table.c.patient_id == patient_id)
            ).scalar_one()
        else:
            counts[name] = sum(
                patient_id_of(db, row) == patient_id for row in db.exec(select(model)).scalars()
            )
    return counts


def all_counts(db: Session) -> dict[str, int]:
    names = [t for t in inspect(db.get_bind()).get_table_names() if t != "alembic_version"]
    return {n: db.execute(text(f"SELECT count(*) FROM {n}")).scalar_one() for n in names}


@pytest.fixture()
def filled(db, world):
    """A record in every patient-owned table for world.patient (and for another patient of the
    practice, who must keep theirs), a notification, an API token; committed."""
    for patient in (world.patient, world.other_patient):
        _records(db, world, patient)[ErasureRequest].status = ErasureStatus.rejected  # closed
    notify(db, user_id=world.patient_user.id, key="k1", kind="x", message="Hallo")
    notify(
        db, user_id=world.poh.id, key="k2", kind="x", message="Over", patient_id=world.patient.id
    )
    db.add(
        ApiToken(
            user_id=world.patient_user.id, token_hash="a" * 64, scopes="patient/*.read",
            expires_at=world.patient_user.created_at,
        )
    )  # fmt: skip
    db.commit()
    return world


def approved(db, world) -> tuple[ErasureRequest, User]:
    """Filed by the patient, approved by world.poh; returns it and a second POH."""
    colleague = second_poh(db, world)
    request = erasure.file_request(
        db, world.actor(world.patient_user), world.patient.id, reason=REASON
    )
    erasure.review(
        db, world.actor(world.poh), request.id, approve=True, reason="Geen bezwaar.", version=1
    )
    db.commit()
    return request, colleague


def test_approved_and_confirmed_request_erases_every_patient_owned_table(db, filled):
    world = filled
    before = rows_of(db, world.patient.id)
    assert all(before[name] for name in before if name not in KEPT - {"patient"}), before
    other_before = rows_of(db, world.other_patient.id)
    request, colleague = approved(db, world)
    old_nonce = world.patient_user.session_nonce

    erasure.confirm_and_execute(db, world.actor(colleague), request.id, version=2, confirmed=True)
    db.commit()
    db.expire_all()

    after = rows_of(db, world.patient.id)
    left = {name: n for name, n in after.items() if n and name not in KEPT}
    assert not left, f"patient-owned rows left after erasure: {left}"
    assert rows_of(db, world.other_patient.id) == other_before
    stub = db.get(Patient, world.patient.id)
    assert (stub.given_name, stub.family_name, stub.his_number, stub.sex) == (
        "",
        "",
        None,
        Sex.unknown,
    )
    assert stub.date_of_birth == erasure.STUB_BIRTH_DATE and stub.erased_at is not None
    account = db.get(User, world.patient_user.id)
    assert not account.is_active and account.password_hash is None
    assert account.session_nonce != old_nonce and "Willemsen" not in account.email + account.name
    assert db.exec(select(Notification).where(Notification.user_id == account.id)).first() is None
    assert db.exec(select(Notification).where(Notification.patient_id == stub.id)).first() is None
    assert db.exec(select(ApiToken).where(ApiToken.user_id == account.id)).first() is None
    done = db.get(ErasureRequest, request.id)
    assert done.status == ErasureStatus.executed and done.executed_by_id == colleague.id
    assert done.reason == "" and "goal=1" in done.summary
    # The audit log keeps every entry about the patient and still verifies.
    result = verify(db)
    assert result.ok, result
    entries = db.exec(select(AuditEntry).where(AuditEntry.patient_id == stub.id)).scalars().all()
    assert any(e.action == "delete" and e.object_type == "PatientData" for e in entries)
    assert {e.detail for e in entries if e.object_type == "ErasureRequest"} >= {"approved"}


def test_rejected_request_changes_nothing_but_the_request_and_tells_the_patient(db, filled):
    world = filled
    request = erasure.file_request(db, world.actor(world.poh), world.patient.id, reason=REASON)
    db.commit()
    before = all_counts(db)
    why = "U heeft nog een lopende behandeling."
    erasure.review(db, world.actor(world.poh), request.id, approve=False, reason=why, version=1)
    db.commit()
    after = all_counts(db)
    changed = {n for n in after if after[n] != before[n]}
    assert changed <= {"audit_entry", "notification"}, changed
    assert db.get(Patient, world.patient.id).erased_at is None
    note = db.exec(
        select(Notification).where(
            Notification.user_id == world.patient_user.id, Notification.kind == "erasure_decision"
        )
    ).scalar_one()
    assert note.params == {"reason": why}
    with pytest.raises(Conflict):  # a rejected request is closed
        erasure.review(db, world.actor(world.poh), request.id, approve=True, reason="x", version=2)


def test_the_approver_cannot_give_the_second_confirmation(db, filled):
    world = filled
    request, _colleague = approved(db, world)
    with pytest.raises(Forbidden):
        erasure.confirm_and_execute(
            db, world.actor(world.poh), request.id, version=2, confirmed=True
        )
    db.commit()
    assert db.get(Patient, world.patient.id).erased_at is None
    denied = (
        db.exec(
            select(AuditEntry).where(
                AuditEntry.object_type == "ErasureRequest",
                AuditEntry.outcome == AuditOutcome.denied,
            )
        )
        .scalars()
        .all()
    )
    assert [e.detail for e in denied] == ["second confirmation by the approver"]


def test_two_reviewers_at_once_cannot_both_act(db, world):
    colleague = second_poh(db, world)
    request = erasure.file_request(
        db, world.actor(world.patient_user), world.patient.id, reason=REASON
    )
    db.commit()
    erasure.review(db, world.actor(world.poh), request.id, approve=True, reason="Ja.", version=1)
    db.commit()
    with pytest.raises(Conflict):  # loaded the same version 1 a moment earlier
        erasure.review(
            db, world.actor(colleague), request.id, approve=False, reason="Nee.", version=1
        )
    db.rollback()
    assert db.get(ErasureRequest, request.id).status == ErasureStatus.approved
    erasure.confirm_and_execute(db, world.actor(colleague), request.id, version=2, confirmed=True)
    db.commit()
    with pytest.raises(NotFound):  # executed: the stub is out of everyone's reach
        erasure.confirm_and_execute(
            db, world.actor(colleague), request.id, version=2, confirmed=True
        )


def test_one_open_request_at_a_time_with_a_reason(db, world):
    actor = world.actor(world.patient_user)
    with pytest.raises(ValidationError):
        erasure.file_request(db, actor, world.patient.id, reason="   ")
    erasure.file_request(db, actor, world.patient.id, reason=REASON)
    with pytest.raises(ValidationError):
        erasure.file_request(db, actor, world.patient.id, reason=REASON)
    with pytest.raises(NotFound):  # another patient's record
        erasure.file_request(db, actor, world.other_patient.id, reason=REASON)


def test_another_practice_gets_not_found_audited_as_denied_against_the_patient(db, world):
    request = erasure.file_request(
        db, world.actor(world.patient_user), world.patient.id, reason=REASON
    )
    db.commit()
    for call in (
        lambda: erasure.open_for_review(db, world.actor(world.other_poh), request.id),
        lambda: erasure.review(
            db, world.actor(world.other_poh), request.id, approve=True, reason="x", version=1
        ),
    ):
        with pytest.raises(NotFound):
            call()
    db.commit()
    denied = (
        db.exec(
            select(AuditEntry).where(
                AuditEntry.user_id == world.other_poh.id, AuditEntry.outcome == AuditOutcome.denied
            )
        )
        .scalars()
        .all()
    )
    assert len(denied) == 2 and {e.patient_id for e in denied} == {world.patient.id}
    assert erasure.practice_requests(db, world.actor(world.other_poh)) == []


def test_stored_contracting_reports_keep_their_figures_and_a_recount_names_the_erasure(db, world):
    add_goal(db, world.patient, [("active", date(2026, 2, 1), None)], agreed_on=date(2026, 2, 1))
    db.commit()
    report = compute_report(
        db, care_group_id=world.care_group.id, start=date(2026, 1, 1), end=date(2026, 6, 30)
    )
    stored = store_report(db, world.actor(world.caregroup_user), report)
    figures = list(stored.figures)
    request, colleague = approved(db, world)
    erasure.confirm_and_execute(db, world.actor(colleague), request.id, version=2, confirmed=True)
    db.commit()
    db.expire_all()
    again = compute_report(
        db, care_group_id=world.care_group.id, start=date(2026, 1, 1), end=date(2026, 6, 30)
    )
    kept = db.get(type(stored), stored.id)
    assert kept.figures == figures and kept.fingerprint == report.fingerprint
    assert compare(kept, again).changes  # the patient is no longer counted
    assert [c.count for c in causes(db, kept) if "verwijderd" in c.kind] == [1]


def test_only_a_poh_or_gp_of_the_practice_reviews(db, world):
    dietitian = make_user(
        db, Role.professional, practice=world.practice, discipline=Discipline.dietitian
    )
    request = erasure.file_request(
        db, world.actor(world.patient_user), world.patient.id, reason=REASON
    )
    db.commit()
    with pytest.raises(Forbidden):
        erasure.review(db, world.actor(dietitian), request.id, approve=True, reason="x", version=1)
    assert db.get(ErasureRequest, request.id).status == ErasureStatus.requested


def test_open_requests_come_first_oldest_first(db, world):
    closed = make_request(db, world, status=ErasureStatus.rejected, decided_by=world.poh)
    first = make_request(db, world, patient=make_patient(db, world.practice))
    second = make_request(db, world, patient=make_patient(db, world.practice))
    db.commit()
    views = erasure.practice_requests(db, world.actor(world.poh))
    assert [v.request.id for v in views] == [first.id, second.id, closed.id]
    assert [v.may_review for v in views] == [True, True, False]
