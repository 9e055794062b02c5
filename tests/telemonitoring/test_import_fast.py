"""The import's fast path for the common row gives exactly what the full checks give, and
an import's statement count does not grow with its rows (alert evaluation included)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from tests.queries import count_statements
from zelfzorg.telemonitoring import importer
from zelfzorg.telemonitoring.cli import CLI_SUBJECT
from zelfzorg.telemonitoring.importer import _check_row, import_readings
from zelfzorg.telemonitoring.models import Alert, Measurement, MeasurementSource

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
BORN = date(1950, 3, 1)

TYPES = ["weight", " weight ", "Weight", "bmi", "smoking", "glucose", "bp_systolic", "", None, 7]
UNITS = ["kg", "", " kg ", "mmol/L", "mm[Hg]", "KG", None, "kg\x00"]
VALUES = ["80.5", "80,5", " 80 ", "", None, "1e2", "80.", ".5", "-80", "80_0", "٨٠", "inf"]
VALUES += ["nan", "0.1", "700", "7.5", "35", 80, 80.5, True, float("inf"), [80], "8\x010"]
TIMES = ["2026-01-05T08:00:00+01:00", "2026-01-05T08:00:00", "2026-01-05T08:00:00Z"]
TIMES += ["2026-01-10T12:04:00Z", "2026-01-10T12:06:00Z", "1949-12-31T08:00:00Z"]
TIMES += ["1950-03-01T00:30:00+02:00", "2026-01-05 08:00", "2026-13-05T08:00:00", "", None]
SOURCES = ["dev-1", "", None, "x" * 100, "x" * 101, " dev-1 ", 12]
READINGS = ["", "r-1", "y" * 101, None]


def rows():
    base = {
        "type_code": "weight",
        "unit": "kg",
        "value": "80.5",
        "measured_at": TIMES[0],
        "source_id": "dev-1",
        "reading_id": "",
    }
    for key, options in (
        ("type_code", TYPES),
        ("unit", UNITS),
        ("value", VALUES),
        ("measured_at", TIMES),
        ("source_id", SOURCES),
        ("reading_id", READINGS),
    ):
        for option in options:
            yield {**base, key: option}
    for code, unit, value, time in itertools.product(
        ["weight", "glucose", "heart_rate", "bp_diastolic"], UNITS[:5], VALUES[:12], TIMES
    ):
        yield {**base, "type_code": code, "unit": unit, "value": value, "measured_at": time}
    yield {**base, "loinc": "29463-7", "type_code": ""}
    yield {**base, "note": "a\x00b"}
    yield {**base, "extra": {"nested": 1}}


def slow(raw, born):
    try:
        return ("ok", _check_row(raw, 7, NOW, born))
    except importer._Bad as bad:
        return ("refused", bad.message, bad.params)


def test_the_fast_path_gives_what_the_full_checks_give():
    fast = importer._FastCheck(NOW)
    taken = declined = 0
    for raw in rows():
        for born in (None, BORN):
            row = fast.row(raw, 7, born)
            if row is None:
                declined += 1
                continue
            taken += 1
            assert slow(raw, born) == ("ok", row), raw
    assert taken > 200 and declined > 200  # both ways are exercised


def test_an_import_gives_the_same_with_and_without_the_fast_path(db, world, monkeypatch):
    pid = world.patient.id
    lines = []
    for n, raw in enumerate(rows(), start=2):
        patient = [str(pid), f" {pid}", f"0{pid}", "", "999999", str(world.far_patient.id)][n % 6]
        raw = {**raw, "patient_id": patient}
        if isinstance(raw.get("source_id"), str) and raw["source_id"]:
            raw["source_id"] = f"{raw['source_id']}-{n}"
        lines.append((n, raw))

    def run():
        result = import_readings(
            db, lines, subject=CLI_SUBJECT, partial=True, now=NOW, source=MeasurementSource.device
        )
        stored = db.exec(
            select(
                Measurement.patient_id,
                Measurement.type_code,
                Measurement.value,
                Measurement.unit,
                Measurement.measured_at,
                Measurement.source_id,
            ).order_by(Measurement.source_id, Measurement.measured_at, Measurement.type_code)
        ).all()
        db.rollback()
        errors = [(e.line, e.message, dict(e.params)) for e in result.errors]
        return result.stored, result.duplicates, errors, stored

    with_fast = run()
    monkeypatch.setattr(importer._FastCheck, "row", lambda self, raw, pid, born: None)
    without = run()
    assert with_fast == without
    assert with_fast[0] > 50 and len(with_fast[2]) > 100  # stored rows and refused ones


def import_csv(runner, tmp_path, name: str, pid: int, n: int) -> None:
    """``n`` readings of one patient over the last days: heart rates and fasting glucose,
    every third glucose very high (urgent alerts), the others off target (a trend)."""
    now = datetime.now(UTC).replace(microsecond=0)
    lines = ["patient_id,type_code,value,unit,measured_at,source_id"]
    for k in range(n):
        at = (now - timedelta(minutes=10 * (k + 1))).isoformat()
        if k % 2:
            value = "22" if k % 3 == 0 else "9.5"
            lines.append(f"{pid},glucose_fasting,{value},mmol/L,{at},{name}-{k}")
        else:
            lines.append(f"{pid},heart_rate,{60 + k % 30},/min,{at},{name}-{k}")
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Stored {n} reading(s)" in result.output


def test_an_import_sends_as_many_statements_for_100_rows_as_for_1000(
    engine, db, world, runner, tmp_path
):
    counts = []
    sizes = (("small", world.patient.id, 100), ("large", world.other_patient.id, 1000))
    db.rollback()
    for name, pid, n in sizes:
        with count_statements(engine) as statements:
            import_csv(runner, tmp_path, name, pid, n)
        counts.append(len(statements))
        alerts = db.exec(
            select(Alert.rule_code, Alert.occurrences).where(Alert.patient_id == pid)
        ).all()
        db.rollback()  # every SQLite transaction takes the write lock: end it before the next
        assert dict(alerts) == {
            "urgent": len([k for k in range(n) if k % 2 and k % 3 == 0]),
            "trend_3_of_5": 1,
        }
    assert counts[0] == counts[1], counts


def test_a_re_import_adds_nothing_and_sends_as_few_statements(engine, db, world, runner, tmp_path):
    pid = world.patient.id
    db.rollback()
    import_csv(runner, tmp_path, "again", pid, 300)
    path = tmp_path / "again.csv"
    with count_statements(engine) as statements:
        result = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
    assert "Stored 0 reading(s); 300 already present" in result.output
    assert len(statements) < 20


def test_duplicates_in_the_file_and_in_the_database_are_stored_once(
    engine, db, world, runner, tmp_path
):
    """A file that repeats rows of an earlier import and repeats rows within itself: each
    (patient, source id) is stored once, counted as already present, and only the patients
    whose readings were stored get an audit entry; as many statements for 100 rows as for
    1000 (the undone insert and the look-up of the stored keys included)."""
    from zelfzorg.audit.models import AuditEntry

    def audited() -> dict[int, str]:
        entries = db.exec(
            select(AuditEntry.patient_id, AuditEntry.detail).where(
                AuditEntry.object_type == "Measurement"
            )
        ).all()
        db.rollback()
        return dict(entries)

    now = datetime.now(UTC).replace(microsecond=0)
    counts = []
    db.rollback()
    for name, pid, n in (("small", world.patient.id, 100), ("large", world.other_patient.id, 1000)):
        import_csv(runner, tmp_path, name, pid, n)
        before = audited()
        lines = ["patient_id,type_code,value,unit,measured_at,source_id"]
        for k in range(0, n, 2):  # every second row of the first file again
            at = (now - timedelta(minutes=10 * (k + 1))).isoformat()
            lines.append(f"{pid},heart_rate,{60 + k % 30},/min,{at},{name}-{k}")
        for k in range(n, n + 10):  # ten new readings, each twice
            at = (now - timedelta(minutes=10 * (k + 1))).isoformat()
            lines += [f"{pid},heart_rate,70,/min,{at},{name}-{k}"] * 2
        path = tmp_path / f"{name}-mixed.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with count_statements(engine) as statements:
            result = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
        counts.append(len(statements))
        assert f"Stored 10 reading(s); {n // 2 + 10} already present" in result.output
        stored = db.exec(select(Measurement.source_id).where(Measurement.patient_id == pid)).all()
        db.rollback()
        assert sorted(stored) == sorted(f"{name}-{k}" for k in range(n + 10))
        assert before[pid] == f"import: {n} readings"
        entries = db.exec(
            select(AuditEntry.detail)
            .where(AuditEntry.object_type == "Measurement", AuditEntry.patient_id == pid)
            .order_by(AuditEntry.id)
        ).all()
        db.rollback()
        assert entries == [f"import: {n} readings", "import: 10 readings"]
        again = runner.invoke(args=["zelfzorg", "import-measurements", str(path)])
        assert f"Stored 0 reading(s); {n // 2 + 20} already present" in again.output
    assert counts[0] == counts[1], counts


def test_an_alert_opened_meanwhile_gets_the_findings_of_the_batch(db, world, monkeypatch):
    """New alerts of one import are inserted together; when one of them was opened in
    between (another request), each is opened on its own and that one gets the findings."""
    from zelfzorg.telemonitoring import alerts

    pid, other = world.patient.id, world.other_patient.id
    lines = [
        (
            1,
            {
                "patient_id": str(p),
                "type_code": "glucose",
                "value": "25",
                "unit": "mmol/L",
                "measured_at": (NOW - timedelta(hours=h)).isoformat(),
                "source_id": f"g-{p}-{h}",
            },
        )
        for p in (pid, other)
        for h in (1, 2)
    ]
    first = import_readings(db, lines[:1], subject=CLI_SUBJECT, now=NOW)
    assert first.stored == 1
    opened = db.exec(select(Alert).where(Alert.patient_id == pid)).one()
    assert opened.occurrences == 1
    monkeypatch.setattr(alerts, "_open_alerts", lambda session, keys: {})  # not seen: raced
    result = import_readings(db, lines[1:], subject=CLI_SUBJECT, now=NOW)
    assert result.stored == 3
    found = db.exec(
        select(Alert.patient_id, Alert.rule_code, Alert.occurrences).where(
            Alert.rule_code == "urgent"
        )
    ).all()
    assert sorted(found) == [(pid, "urgent", 2), (other, "urgent", 2)]
    db.rollback()
