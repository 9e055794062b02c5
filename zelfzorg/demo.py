"""A realistic, deterministic demo care group (seeded random, dates relative to today).

Domains add their demo data with a ``zelfzorg/<domain>/demo.py`` that defines
``seed(session, ctx: DemoContext)``; they run in ``DEMO_ORDER`` after the base data.
"""

from __future__ import annotations

import base64
import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from zelfzorg.accounts.models import CareGroup, Discipline, Practice, PracticeMembership, Role, User
from zelfzorg.accounts.scope import Actor
from zelfzorg.accounts.services import SecurityPolicy, hash_password
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import (
    PROGRAMME_CONDITION,
    CareTeamMember,
    CareTeamRole,
    Condition,
    Enrolment,
    Patient,
    Programme,
    Sex,
)
from zelfzorg.patients.practice_history import move_patient, open_first_period

DEMO_PASSWORD = "demo-wachtwoord-2026"
DEMO_ORDER = ["izp", "assessment", "telemonitoring", "leefstijl", "contracting", "outcomes"]
SEED = 20261130

GIVEN_F = [
    "Anna",
    "Maria",
    "Johanna",
    "Wilhelmina",
    "Cornelia",
    "Elisabeth",
    "Fatima",
    "Sanne",
    "Ingrid",
    "Petra",
    "Ans",
    "Truus",
    "Gerda",
    "Yvonne",
    "Esra",
    "Linda",
    "Marloes",
    "Hanneke",
    "Riet",
    "Joke",
    "Aisha",
    "Monique",
    "Ellen",
    "Karin",
]
GIVEN_M = [
    "Jan",
    "Piet",
    "Kees",
    "Henk",
    "Gerrit",
    "Willem",
    "Johan",
    "Mohamed",
    "Ahmet",
    "Hans",
    "Peter",
    "Cor",
    "Dirk",
    "Bram",
    "Ruud",
    "Theo",
    "Frank",
    "Rob",
    "Sjaak",
    "Mehmet",
    "Anton",
    "Marcel",
    "Erik",
    "Bas",
]
FAMILY = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "Kok",
    "Jacobs",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "van Vliet",
    "Willems",
    "Hoekstra",
    "Koster",
    "Prins",
    "Huisman",
    "Verhoeven",
]


@dataclass
class DemoLogin:
    role: str
    name: str
    email: str
    totp_secret: str | None = None
    note: str = ""


@dataclass
class DemoContext:
    rng: random.Random
    today: date
    now: datetime
    care_group: CareGroup
    practices: list[Practice]
    pohs: dict[int, User]  # practice id -> POH
    gp: User
    dietitian: User
    patients: list[Patient]
    patient_users: dict[int, User]  # patient id -> account
    programmes: dict[int, list[Programme]]  # patient id -> active programmes
    demo_patient: Patient
    logins: list[DemoLogin] = field(default_factory=list)
    progress: Callable[[str], None] = print


class DatabaseNotEmpty(RuntimeError):
    """Demo data goes in an empty database only."""


def _secret(rng: random.Random) -> str:
    return base64.b32encode(rng.randbytes(20)).decode()


def _staff(
    session: Session,
    policy: SecurityPolicy,
    rng: random.Random,
    *,
    email: str,
    name: str,
    role: Role,
    logins: list[DemoLogin],
    note: str = "",
    **kw,
) -> User:
    secret = _secret(rng)
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(policy, DEMO_PASSWORD),
        totp_secret=secret,
        totp_enrolled_at=utcnow(),
        is_demo=True,
        **kw,
    )
    session.add(user)
    session.flush()
    logins.append(DemoLogin(str(role), name, email, secret, note))
    return user


PROGRAMME_WEIGHTS = [
    (Programme.DM2, 0.45),
    (Programme.CVRM, 0.5),
    (Programme.COPD, 0.15),
    (Programme.astma, 0.1),
    (Programme.hartfalen, 0.07),
]


def _programmes_for(rng: random.Random, age: int) -> list[Programme]:
    chosen = [p for p, w in PROGRAMME_WEIGHTS if rng.random() < w * (1.2 if age > 70 else 1.0)]
    if not chosen:
        chosen = [rng.choice([Programme.DM2, Programme.CVRM, Programme.COPD])]
    if Programme.astma in chosen and Programme.COPD in chosen:
        chosen.remove(Programme.astma)
    return chosen


MOVED_PATIENTS = (5, 10, 15)  # indexes of patients who moved practice last year


def _move_some_patients(
    session: Session,
    patients: list[Patient],
    practices: list[Practice],
    pohs: dict[int, User],
    today: date,
) -> None:
    """A few patients moved to another practice of the care group last year (their practice
    history has two periods; last year's report counts them for both, by date)."""
    for n, index in enumerate(i for i in MOVED_PATIENTS if i < len(patients)):
        patient = patients[index]
        old = next(p for p in practices if p.id == patient.practice_id)
        new = practices[(practices.index(old) + 1) % len(practices)]
        poh = pohs[old.id]
        move_patient(
            session,
            Actor(poh, "demo", frozenset({old.id})),
            patient.id,  # type: ignore[arg-type]
            practice_id=new.id,  # type: ignore[arg-type]
            on=date(today.year - 1, 3 + 3 * n, 1),
            today=today,
        )
        # The new practice's POH takes over the care team.
        for member in session.exec(
            select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)
        ).all():
            member.user_id = pohs[new.id].id  # type: ignore[assignment]
            session.add(member)
    session.flush()


def seed_demo(
    session: Session,
    *,
    n_patients: int = 150,
    if_empty: bool = False,
    policy: SecurityPolicy | None = None,
    progress: Callable[[str], None] = print,
    today: date | None = None,
) -> list[DemoLogin]:
    if session.exec(select(CareGroup.id)).first() is not None:
        if if_empty:
            progress("Database already has data: demo not seeded.")
            return existing_logins(session)
        raise DatabaseNotEmpty(
            "The database already has care groups; demo data goes in an empty one."
        )
    # Callers outside tests pass the app's policy; the fallback hashes cheaply for test speed.
    policy = policy or SecurityPolicy(argon2_time_cost=1, argon2_memory_cost=8192)
    rng = random.Random(SEED)
    today = today or datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    now = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=9)
    logins: list[DemoLogin] = []
    progress("Seeding demo care group ...")
    group = CareGroup(name="Zorggroep Rivierenland (demo)")
    session.add(group)
    session.flush()
    practices = []
    # Fictitious numbers in the demo (not any real practice's).
    for name, city, phone in [
        ("Huisartsenpraktijk De Linde", "Tiel", "0344 000 101"),
        ("Gezondheidscentrum Waalkade", "Zaltbommel", "0418 000 202"),
        ("Huisartsen Betuwe", "Geldermalsen", "0345 000 303"),
    ]:
        practice = Practice(care_group_id=group.id, name=name, city=city, phone=phone)
        session.add(practice)
        practices.append(practice)
    session.flush()
    pohs = {}
    poh_names = ["Sanne Vermeulen", "Ricardo Tromp", "Lotte Bakker"]
    for i, practice in enumerate(practices):
        pohs[practice.id] = _staff(
            session,
            policy,
            rng,
            email=f"poh{i + 1}@demo.zelfzorg.nl",
            name=poh_names[i],
            role=Role.professional,
            discipline=Discipline.poh,
            practice_id=practice.id,
            logins=logins,
            note=practice.name,
        )
    gp = _staff(
        session,
        policy,
        rng,
        email="huisarts@demo.zelfzorg.nl",
        name="dr. Eva Hoogland",
        role=Role.professional,
        discipline=Discipline.gp,
        practice_id=practices[0].id,
        logins=logins,
        note=practices[0].name,
    )
    dietitian = _staff(
        session,
        policy,
        rng,
        email="dietist@demo.zelfzorg.nl",
        name="Noor van Wijk",
        role=Role.professional,
        discipline=Discipline.dietitian,
        practice_id=practices[0].id,
        logins=logins,
        note=f"{practices[0].name} + {practices[1].name}",
    )
    # The dietitian works for two practices of the care group.
    session.add(PracticeMembership(user_id=dietitian.id, practice_id=practices[1].id))
    _staff(
        session,
        policy,
        rng,
        email="zorggroep@demo.zelfzorg.nl",
        name="Marieke Claassen",
        role=Role.caregroup,
        care_group_id=group.id,
        logins=logins,
        note=group.name,
    )
    _staff(
        session,
        policy,
        rng,
        email="beheer@demo.zelfzorg.nl",
        name="Beheerder Zelfzorg",
        role=Role.admin,
        logins=logins,
    )

    patients: list[Patient] = []
    programmes: dict[int, list[Programme]] = {}
    patient_users: dict[int, User] = {}
    password_hash = hash_password(policy, DEMO_PASSWORD)
    for i in range(n_patients):
        practice = practices[i % len(practices)]
        sex = Sex.female if rng.random() < 0.48 else Sex.male
        age = max(35, min(95, int(rng.gauss(68, 11))))
        born = today - timedelta(days=age * 365 + rng.randint(0, 364))
        given = rng.choice(GIVEN_F if sex == Sex.female else GIVEN_M)
        if i == 0:
            given, family, born, sex = (
                "Gerda",
                "Willemsen",
                date(today.year - 67, 4, 12),
                Sex.female,
            )
        else:
            family = rng.choice(FAMILY)
        patient = Patient(
            practice_id=practice.id,
            given_name=given,
            family_name=family,
            date_of_birth=born,
            sex=sex,
            his_number=f"{1000 + i}",
            is_demo=True,
            created_by_id=pohs[practice.id].id,
        )
        session.add(patient)
        session.flush()
        open_first_period(session, patient, created_by_id=pohs[practice.id].id)
        progs = (
            [Programme.DM2, Programme.CVRM]
            if i == 0
            else _programmes_for(rng, patient.age_on(today))
        )
        programmes[patient.id] = progs
        for prog in progs:
            start = today - timedelta(days=rng.randint(120, 365 * 8))
            session.add(
                Enrolment(
                    patient_id=patient.id,
                    programme=prog,
                    start_date=start,
                    created_by_id=pohs[practice.id].id,
                )
            )
            code, cname = PROGRAMME_CONDITION[prog]
            session.add(Condition(patient_id=patient.id, code=code, name=cname, onset_date=start))
        if rng.random() < 0.08:  # a few ended enrolments (moved to secondary care, etc.)
            ended = Programme.COPD if Programme.COPD not in progs else Programme.astma
            start = today - timedelta(days=rng.randint(800, 2000))
            session.add(
                Enrolment(
                    patient_id=patient.id,
                    programme=ended,
                    start_date=start,
                    end_date=start + timedelta(days=rng.randint(200, 700)),
                    created_by_id=pohs[practice.id].id,
                )
            )
        session.add(
            CareTeamMember(
                patient_id=patient.id,
                user_id=pohs[practice.id].id,
                role=CareTeamRole.contactpersoon,
            )
        )
        session.add(
            CareTeamMember(
                patient_id=patient.id,
                user_id=gp.id if practice == practices[0] else pohs[practice.id].id,
                role=CareTeamRole.hoofdbehandelaar,
            )
        )
        if i == 0 or rng.random() < 0.6:
            activated = now - timedelta(days=rng.randint(5, 700))
            email = "patient@demo.zelfzorg.nl" if i == 0 else f"patient{i}@demo.zelfzorg.nl"
            user = User(
                email=email,
                name=patient.full_name,
                role=Role.patient,
                patient_id=patient.id,
                practice_id=practice.id,
                password_hash=password_hash,
                activated_at=activated,
                last_login_at=now - timedelta(days=rng.randint(0, 200)),
                is_demo=True,
            )
            session.add(user)
            patient_users[patient.id] = user
        patients.append(patient)
    session.flush()
    _move_some_patients(session, patients, practices, pohs, today)
    logins.append(
        DemoLogin(
            "patient",
            patients[0].full_name,
            "patient@demo.zelfzorg.nl",
            None,
            "DM2 + CVRM, " + practices[0].name,
        )
    )
    progress(f"  {len(practices)} practices, {len(patients)} patients")
    ctx = DemoContext(
        rng=rng,
        today=today,
        now=now,
        care_group=group,
        practices=practices,
        pohs=pohs,
        gp=gp,
        dietitian=dietitian,
        patients=patients,
        patient_users=patient_users,
        programmes=programmes,
        demo_patient=patients[0],
        logins=logins,
        progress=progress,
    )
    for domain in DEMO_ORDER:
        try:
            module = importlib.import_module(f"zelfzorg.{domain}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"zelfzorg.{domain}.demo":
                raise
            continue
        progress(f"Seeding {domain} ...")
        module.seed(session, ctx)
        session.flush()
    from zelfzorg.leefstijl import eligibility

    progress("Computing lifestyle eligibility ...")
    eligibility.rebuild(session, today)
    progress("Demo data ready.")
    return logins


def existing_logins(session: Session) -> list[DemoLogin]:
    users = session.exec(
        select(User)
        .where(User.is_demo == True)  # noqa: E712 - SQL expression
        .where(User.role != Role.patient)
        .order_by(User.id)
    ).all()
    logins = [DemoLogin(str(u.role), u.name, u.email, u.totp_secret) for u in users]
    patient = session.exec(select(User).where(User.email == "patient@demo.zelfzorg.nl")).first()
    if patient:
        logins.append(DemoLogin("patient", patient.name, patient.email))
    return logins


def print_logins(logins: list[DemoLogin], echo: Callable[[str], None]) -> None:
    if not logins:
        echo("No demo logins in this database.")
        return
    echo("")
    echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
    for login in logins:
        line = f"  {login.role:<13} {login.email:<32} {login.name}"
        if login.note:
            line += f" ({login.note})"
        echo(line)
        if login.totp_secret:
            echo(
                f"  {'':<13} TOTP secret {login.totp_secret}  -> current code: "
                f".venv/bin/flask --app wsgi zelfzorg demo-totp {login.email}"
            )
    echo("")
