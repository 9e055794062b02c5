"""For a practice: its own patients in an indicator's denominator but not (yet) in its
numerator, to act on ("het draait niet om afvinken"). Only for professionals of the
practice; never in a care-group or insurer view; every patient shown is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import Actor, audit_shown
from zelfzorg.contracting.engine import cell_query
from zelfzorg.contracting.indicators import REGISTRY, Context
from zelfzorg.errors import N_, Forbidden
from zelfzorg.patients.models import Patient

ACT_ON = ("I1", "I2", "I3", "L2", "O1", "O2")
LIMIT = 100  # per indicator; the count says how many more


@dataclass(frozen=True)
class PatientRow:
    patient_id: int
    name: str
    date_of_birth: date


@dataclass(frozen=True)
class ActOnList:
    indicator: str
    total: int
    patients: list[PatientRow]


def patients_to_act_on(
    session: Session, actor: Actor, *, care_group_id: int, start: date, end: date
) -> list[ActOnList]:
    if actor.role != Role.professional or not actor.practice_ids:
        raise Forbidden(N_("U heeft geen toegang tot deze pagina."))
    ctx = Context(session=session, care_group_id=care_group_id, start=start, end=end)
    lists, shown = [], []
    for indicator in ACT_ON:
        cells = cell_query(ctx, REGISTRY[indicator]).subquery("cells")
        rows = session.exec(
            select(Patient.id, Patient.given_name, Patient.family_name, Patient.date_of_birth)
            .join(cells, cells.c.patient_id == Patient.id)
            .where(cells.c.den == 1, cells.c.num == 0)
            .where(cells.c.practice_id.in_(sorted(actor.practice_ids)))
            .order_by(col(Patient.family_name), col(Patient.given_name), col(Patient.id))
        ).all()
        patients = [PatientRow(r[0], f"{r[1]} {r[2]}", r[3]) for r in rows[:LIMIT]]
        shown += [p.patient_id for p in patients]
        lists.append(ActOnList(indicator, len(rows), patients))
    audit_shown(session, actor, shown, object_type="ContractingActOn")
    return lists
