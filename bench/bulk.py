"""Benchmark scenarios of bulk work: imports, the streamed ``$everything``, PDFs, every job.

Each goes through the app's own path (the CLI commands, the views through the test client,
the job functions as the scheduler calls them) next to a reference measured in the same run
on the same data: a raw executemany of the same rows, the bare queries, WeasyPrint rendering
a one-line page. Imported rows stay in the database, and so do the reference rows (marked
``ref:`` / ``ref-``; deleting them is slower than the scenario, each deleted row checks every
referencing table); the imports are the last scenarios, so nothing else is measured on them.
"""

from __future__ import annotations

import gc
import json
import random
import re
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

CSV_FILE_ROWS = 250_000  # rows per CSV file (the CLI refuses more than 500,000 in one file)
BUNDLE_ENTRIES = 20_000  # entries per transaction Bundle (the importer's maximum)
TYPES = (  # (type code, LOINC, unit, low, high): plausible readings
    ("weight", "29463-7", "kg", 60.0, 110.0),
    ("heart_rate", "8867-4", "/min", 50.0, 100.0),
    ("glucose", "15074-8", "mmol/L", 4.0, 12.0),
    ("spo2", "59408-5", "%", 93.0, 99.0),
)


def _rate(count: int, ms: float) -> float:
    return count / (ms / 1000) if ms else float("inf")


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def _stopwatch(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _readings(patient_ids: list[int], n: int, prefix: str, now: datetime) -> list[dict]:
    """``n`` plausible readings spread over the patients and the past year; every fifth pair
    of rows a blood pressure (systolic and diastolic sharing a reading id)."""
    rng = random.Random(n)
    rows: list[dict] = []
    k = 0
    while len(rows) < n:
        pid = patient_ids[k % len(patient_ids)]
        at = now - timedelta(minutes=7 + rng.randrange(365 * 24 * 60))
        if k % 5 == 0 and len(rows) + 2 <= n:
            systolic = rng.randrange(110, 150)
            for code, value in (("bp_systolic", systolic), ("bp_diastolic", systolic - 45)):
                rows.append(
                    {
                        "patient_id": pid,
                        "type_code": code,
                        "loinc": "8480-6" if code == "bp_systolic" else "8462-4",
                        "value": float(value),
                        "unit": "mm[Hg]",
                        "measured_at": at,
                        "source_id": f"{prefix}-{k}-{code}",
                        "reading_id": f"{prefix}-{k}",
                    }
                )
        else:
            code, loinc, unit, low, high = TYPES[k % len(TYPES)]
            rows.append(
                {
                    "patient_id": pid,
                    "type_code": code,
                    "loinc": loinc,
                    "value": round(rng.uniform(low, high), 1),
                    "unit": unit,
                    "measured_at": at,
                    "source_id": f"{prefix}-{k}",
                    "reading_id": "",
                }
            )
        k += 1
    return rows


def _raw_insert(engine, rows: list[dict], now: datetime, source: str) -> None:
    """The reference: the same rows as one executemany per 10,000 (no checks)."""
    from zelfzorg.telemonitoring.models import Measurement

    table = Measurement.__table__
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(
                sa.insert(table),
                [
                    {
                        "patient_id": r["patient_id"],
                        "type_code": r["type_code"],
                        "value": r["value"],
                        "unit": r["unit"],
                        "measured_at": r["measured_at"],
                        "source": source,
                        "source_id": "ref:" + r["source_id"],
                        "reading_id": r["reading_id"] or None,
                        "note": "",
                        "created_at": now,
                    }
                    for r in rows[start : start + 10_000]
                ],
            )


def _cli(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["zelfzorg", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output[-2000:]


def import_scenarios(app, engine, who, import_rows: int, compare) -> list:
    """CSV (``import-measurements``) and FHIR transaction (``fhir-import``) of ``import_rows``
    readings each, then the same files again (must add nothing); and a FHIR transaction of new
    patients with their conditions, episodes of care and observations (``fhir-import``)."""
    rows_out = []
    now = datetime.now(UTC).replace(microsecond=0)
    # Source ids and identifiers of this run: a database measured again (``--database``)
    # must get new readings and patients, not the last run's again.
    token = now.strftime("%Y%m%d%H%M%S")
    with engine.connect() as conn:
        practice_patients = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT id FROM patient WHERE practice_id = :p ORDER BY id"),
                {"p": who.practice_id},
            )
        ]
    folder = Path(tempfile.mkdtemp(prefix="zelfzorg-bench-import-"))
    practice = str(who.practice_id)

    # --- CSV -------------------------------------------------------------------------------
    readings = _readings(practice_patients, import_rows, f"csv{token}", now)
    files = _write_csv_files(folder, readings)
    rows_out.append(
        _import_scenario(
            app,
            engine,
            compare,
            f"measurement import, CSV, {import_rows:,} rows",
            [["import-measurements", str(p)] for p in files],
            readings,
            "device",
            now,
            f"{len(files)} file(s)",
        )
    )

    # --- FHIR transaction of Observations --------------------------------------------------
    readings = _readings(practice_patients, import_rows, f"fhir{token}", now)
    entries = observation_entries(readings)
    bundles = _write_bundles(folder, "observations", entries)
    rows_out.append(
        _import_scenario(
            app,
            engine,
            compare,
            f"measurement import, FHIR transaction, {import_rows:,} rows",
            [["fhir-import", "--practice", practice, p] for p in bundles],
            readings,
            "professional",
            now,
            f"{len(entries):,} Observations in {len(bundles)} Bundle(s)",
        )
    )

    # --- FHIR transaction of new patients with their record --------------------------------
    patients_n = max(10, import_rows // 100)
    entries = []
    rng = random.Random(7)
    for k in range(patients_n):
        url = f"urn:uuid:bench-patient-{k}"
        entries.append(
            {
                "fullUrl": url,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [
                        {"system": "https://zelfzorg.example/his", "value": f"bench-{token}-{k}"}
                    ],
                    "name": [{"family": f"Bench{k}", "given": ["Import"]}],
                    "birthDate": f"{1940 + k % 50}-0{1 + k % 9}-1{k % 9}",
                    "gender": "female" if k % 2 else "male",
                },
                "request": {"method": "POST", "url": "Patient"},
            }
        )
        entries.append(
            {
                "resource": {
                    "resourceType": "Condition",
                    "subject": {"reference": url},
                    "code": {
                        "coding": [
                            {"system": "http://hl7.org/fhir/sid/icpc-1-nl", "code": "T90.02"}
                        ]
                    },
                    "onsetDateTime": "2015-03-01",
                },
                "request": {"method": "POST", "url": "Condition"},
            }
        )
        entries.append(
            {
                "resource": {
                    "resourceType": "EpisodeOfCare",
                    "status": "active",
                    "patient": {"reference": url},
                    "type": [
                        {
                            "coding": [
                                {"system": "https://zelfzorg.example/programme", "code": "DM2"}
                            ]
                        }
                    ],
                    "period": {"start": "2020-01-01"},
                },
                "request": {"method": "POST", "url": "EpisodeOfCare"},
            }
        )
        for n in range(8):
            code, loinc, unit, low, high = TYPES[n % len(TYPES)]
            entries.append(
                {
                    "resource": {
                        "resourceType": "Observation",
                        "status": "final",
                        "subject": {"reference": url},
                        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                        "effectiveDateTime": (now - timedelta(days=n * 30 + 1)).isoformat(),
                        "valueQuantity": {
                            "value": round(rng.uniform(low, high), 1),
                            "unit": unit,
                            "system": "http://unitsofmeasure.org",
                            "code": unit,
                        },
                    },
                    "request": {"method": "POST", "url": "Observation"},
                }
            )
    _fix_systems(entries)
    bundles = _write_bundles(folder, "patients", entries, keep_together=11)
    before = _count(engine, "SELECT count(*) FROM patient")
    ours = _stopwatch(
        lambda: [_cli(app, "fhir-import", "--practice", practice, p) for p in bundles]
    )
    added = _count(engine, "SELECT count(*) FROM patient") - before
    reference = _stopwatch(lambda: _raw_record(engine, who.practice_id, patients_n, now))
    rate = _rate(len(entries), ours)
    rows_out.append(
        compare(
            "FHIR transaction import, Patient+Condition+EpisodeOfCare+Observation",
            [ours],
            "raw executemany of the same rows",
            [reference],
            target=">= 2,000 resources/s",
            check=lambda _m, _p, _r: rate >= 2_000 and added == patients_n,
            note=f"{rate:,.0f} resources/s vs {_rate(len(entries), reference):,.0f} raw; "
            f"{len(entries):,} resources ({patients_n:,} patients) in {len(bundles)} Bundle(s)",
        )
    )
    return rows_out


def _import_scenario(
    app,
    engine,
    compare,
    scenario: str,
    commands: list[list[str]],
    readings: list[dict],
    source: str,
    now: datetime,
    what: str,
):
    """One measurement import: the CLI ``commands`` (one per file), then the same again (must
    add nothing), against a raw executemany of the same ``readings``. The lifestyle
    eligibility of the patients an import queued (``leefstijl.eligibility``) is recomputed
    afterwards by the queue job, as the scheduler would: timed apart, in the note."""
    from zelfzorg.db import checkpoint_wal
    from zelfzorg.leefstijl.eligibility import drain_queue

    count = len(readings)
    before = _count(engine, "SELECT count(*) FROM measurement")
    checkpoint_wal(engine)  # each timed step starts with the log copied, as the job keeps it
    ours = _stopwatch(lambda: [_cli(app, *c) for c in commands])
    added = _count(engine, "SELECT count(*) FROM measurement") - before
    queued = _count(engine, "SELECT count(*) FROM lifestyle_eligibility_queue")
    drained = _stopwatch(lambda: drain_queue(engine))
    copied = _stopwatch(lambda: checkpoint_wal(engine))
    again = _stopwatch(lambda: [_cli(app, *c) for c in commands])
    re_added = _count(engine, "SELECT count(*) FROM measurement") - before - added
    checkpoint_wal(engine)
    reference = _stopwatch(lambda: _raw_insert(engine, readings, now, source))
    checkpoint_wal(engine)
    rate = _rate(count, ours)
    return compare(
        scenario,
        [ours],
        "raw executemany of the same rows",
        [reference],
        target=">= 20,000 rows/s (SQLite), re-import adds 0",
        check=lambda _m, _p, _r: (
            re_added == 0 and added == count and (rate >= 20_000 or engine.dialect.name != "sqlite")
        ),
        note=f"{rate:,.0f} rows/s vs {_rate(count, reference):,.0f} raw; {what}; "
        f"stored {added:,}; re-import {again / 1000:.1f} s, +{re_added} rows; eligibility of "
        f"{queued:,} queued patients recomputed by the queue job afterwards in "
        f"{drained / 1000:.2f} s"
        + (
            f"; the write-ahead log copied by the checkpoint job afterwards in "
            f"{copied / 1000:.2f} s"
            if engine.dialect.name == "sqlite"
            else ""
        ),
    )


def _write_csv_files(folder: Path, readings: list[dict]) -> list[Path]:
    """The readings as CSV files of ``CSV_FILE_ROWS`` rows (the columns of the CLI)."""
    files = []
    for n, start in enumerate(range(0, len(readings), CSV_FILE_ROWS)):
        path = folder / f"readings-{n}.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write("patient_id,type_code,value,unit,measured_at,source_id,reading_id\n")
            for r in readings[start : start + CSV_FILE_ROWS]:
                handle.write(
                    f"{r['patient_id']},{r['type_code']},{r['value']},{r['unit']},"
                    f"{r['measured_at'].isoformat()},{r['source_id']},{r['reading_id']}\n"
                )
        files.append(path)
    return files


def observation_entries(readings: list[dict]) -> list[dict]:
    """The readings as transaction entries of Observations (a BP pair: one panel)."""
    entries = []
    for r in readings:
        if r["type_code"] == "bp_diastolic":
            continue  # part of the systolic's panel
        resource = {
            "resourceType": "Observation",
            "status": "final",
            "identifier": [{"system": "urn:bench", "value": r["source_id"]}],
            "subject": {"reference": f"Patient/{r['patient_id']}"},
            "effectiveDateTime": r["measured_at"].isoformat(),
        }
        if r["type_code"] == "bp_systolic":
            resource["code"] = {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}
            resource["component"] = [
                {
                    "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                    "valueQuantity": {
                        "value": value,
                        "unit": "mm[Hg]",
                        "system": "http://unitsofmeasure.org",
                        "code": "mm[Hg]",
                    },
                }
                for code, value in (("8480-6", r["value"]), ("8462-4", r["value"] - 45))
            ]
        else:
            resource["code"] = {"coding": [{"system": "http://loinc.org", "code": r["loinc"]}]}
            resource["valueQuantity"] = {
                "value": r["value"],
                "unit": r["unit"],
                "system": "http://unitsofmeasure.org",
                "code": r["unit"],
            }
        entries.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
    return entries


def _fix_systems(entries: list[dict]) -> None:
    """The code systems the importer expects, from the app's own constants."""
    from zelfzorg.fhir.resources import HIS_SYSTEM, ICPC, PROGRAMME_SYSTEM

    for entry in entries:
        resource = entry["resource"]
        kind = resource["resourceType"]
        if kind == "Patient":
            resource["identifier"][0]["system"] = HIS_SYSTEM
        elif kind == "Condition":
            resource["code"]["coding"][0]["system"] = ICPC
        elif kind == "EpisodeOfCare":
            resource["type"][0]["coding"][0]["system"] = PROGRAMME_SYSTEM


def _write_bundles(folder: Path, name: str, entries: list[dict], keep_together: int = 1):
    size = BUNDLE_ENTRIES - BUNDLE_ENTRIES % keep_together
    paths = []
    for n, start in enumerate(range(0, len(entries), size)):
        path = folder / f"{name}-{n}.json"
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": entries[start : start + size],
        }
        path.write_text(json.dumps(bundle), encoding="utf-8")
        paths.append(str(path))
    return paths


def _raw_record(engine, practice_id: int, patients_n: int, now: datetime) -> None:
    """The reference for the record import: the same rows in five executemany statements."""
    from zelfzorg.patients.models import Condition, Enrolment, Patient, PracticePeriod
    from zelfzorg.telemonitoring.models import Measurement

    rng = random.Random(7)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Patient.__table__),
            [
                {
                    "practice_id": practice_id,
                    "given_name": "Import",
                    "family_name": f"Ref{k}",
                    "date_of_birth": datetime(1940 + k % 50, 1 + k % 9, 10 + k % 9).date(),
                    "sex": "female",
                    "his_number": f"ref-{now:%Y%m%d%H%M%S}-{k}",
                    "version": 1,
                    "is_demo": False,
                    "created_at": now,
                }
                for k in range(patients_n)
            ],
        )
        ids = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT id FROM patient WHERE practice_id = :p AND his_number LIKE :run"),
                {"p": practice_id, "run": f"ref-{now:%Y%m%d%H%M%S}-%"},
            )
        ]
        conn.execute(
            sa.insert(PracticePeriod.__table__),
            [
                {
                    "patient_id": i,
                    "practice_id": practice_id,
                    "start_date": now.date(),
                    "created_at": now,
                }
                for i in ids
            ],
        )
        conn.execute(
            sa.insert(Condition.__table__),
            [{"patient_id": i, "code": "T90.02", "name": "DM2", "recorded_at": now} for i in ids],
        )
        conn.execute(
            sa.insert(Enrolment.__table__),
            [
                {
                    "patient_id": i,
                    "programme": "DM2",
                    "start_date": now.date(),
                    "created_at": now,
                }
                for i in ids
            ],
        )
        conn.execute(
            sa.insert(Measurement.__table__),
            [
                {
                    "patient_id": i,
                    "type_code": TYPES[n % len(TYPES)][0],
                    "value": round(rng.uniform(50, 90), 1),
                    "unit": TYPES[n % len(TYPES)][2],
                    "measured_at": now - timedelta(days=n * 30 + 1),
                    "source": "professional",
                    "source_id": f"ref:{i}:{n}",
                    "note": "",
                    "created_at": now,
                }
                for i in ids
                for n in range(8)
            ],
        )


# --- $everything --------------------------------------------------------------------------------


def five_year_patient(engine, practice_id: int) -> tuple[int, int]:
    """A telemonitored patient with an account in ``practice_id`` (the POH persona's, so the
    POH pages may show them), with 5 years of device readings: when the care group was
    generated with fewer years, the generator's bulk path adds the years before their first
    reading (once: a second call finds 5 years). (patient id, user id)."""
    from zelfzorg.generator import readings_history

    with engine.connect() as conn:
        patient_id, user_id = conn.execute(
            sa.text(
                "SELECT u.patient_id, u.id FROM user_account u JOIN patient p ON "
                "p.id = u.patient_id WHERE u.role = 'patient' AND p.practice_id = :pr AND "
                "u.patient_id IN (SELECT patient_id FROM measurement WHERE source = 'device') "
                "ORDER BY u.patient_id LIMIT 1"
            ),
            {"pr": practice_id},
        ).one()
        first, last = conn.execute(
            sa.text(
                "SELECT min(measured_at), max(measured_at) FROM measurement "
                "WHERE patient_id = :p AND source = 'device'"
            ),
            {"p": patient_id},
        ).one()
    if isinstance(first, str):  # SQLite without the column's type (text())
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    missing = 5 - round((last - first).days / 365)
    if missing > 0:
        readings_history(engine, patient_id, years=missing)  # ends with fresh statistics
    return patient_id, user_id


def everything_scenario(app, engine, who, years: int, repeat: int, session_cookie, compare):
    """The patient's download (``/mijn/gegevens.json``: every resource, streamed) through the
    test client, consumed chunk by chunk; memory: tracemalloc peak of the full record against
    that of its first 500 resources."""
    patient_id, user_id = five_year_patient(engine, who.practice_id)
    client = app.test_client()
    client.set_cookie("session", session_cookie(app, user_id, engine).split("=", 1)[1])
    counted: list[int] = []

    def download(limit: int | None = None) -> int:
        response = client.get("/mijn/gegevens.json", buffered=False)
        assert response.status_code == 200, response.status_code
        resources = 0
        for chunk in response.response:
            # Every entry is {"resource": {...}}; no resource has a key "resource" itself.
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            resources += text.count('{"resource": ')
            if limit is not None and resources >= limit:
                break
        response.close()
        return resources

    def run():
        counted.append(download())

    times = []
    run()  # warm up
    for _ in range(max(1, repeat // 4)):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    resources = counted[-1]

    def peak(limit: int | None) -> float:
        gc.collect()
        tracemalloc.start()
        download(limit)
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top / 1e6

    full, first_page = peak(None), peak(500)
    tables = (
        "patient WHERE id",
        "condition WHERE patient_id",
        "enrolment WHERE patient_id",
        "care_plan WHERE patient_id",
        "goal WHERE patient_id",
        "measurement WHERE patient_id",
        "assessment_response WHERE patient_id",
        "lifestyle_referral WHERE patient_id",
    )

    def reference():
        with engine.connect() as conn:
            for table in tables:
                conn.execute(sa.text(f"SELECT * FROM {table} = :p"), {"p": patient_id}).all()

    ref_times = [_stopwatch(reference) for _ in range(max(1, repeat // 4))]
    median = sorted(times)[len(times) // 2]
    rate = _rate(resources, median)
    flat = full <= 2 * first_page + 2
    with engine.connect() as conn:
        span = conn.execute(
            sa.text(
                "SELECT min(measured_at), max(measured_at) FROM measurement WHERE patient_id = :p"
            ),
            {"p": patient_id},
        ).one()
    return compare(
        "$everything streamed (/mijn/gegevens.json), 5-year patient",
        times,
        "raw SELECT of the record's rows",
        ref_times,
        target=">= 10,000 resources/s, memory flat",
        check=lambda _m, _p, _r: rate >= 10_000 and flat,
        note=f"{resources:,} resources ({str(span[0])[:10]}..{str(span[1])[:10]}), "
        f"{rate:,.0f}/s; tracemalloc peak {full:.1f} MB whole record vs {first_page:.1f} MB "
        "first 500",
    )


# --- PDFs ---------------------------------------------------------------------------------------


def pdf_scenarios(app, engine, who, repeat: int, session_cookie, compare) -> list:
    from zelfzorg.pdf import render_pdf

    with engine.connect() as conn:
        patient_id = conn.execute(
            sa.text(
                "SELECT g.patient_id FROM goal g JOIN patient p ON p.id = g.patient_id "
                "WHERE p.practice_id = :pr GROUP BY g.patient_id ORDER BY count(*) DESC, "
                "g.patient_id LIMIT 1"
            ),
            {"pr": who.practice_id},
        ).scalar_one()
        group_user = conn.execute(
            sa.text(
                "SELECT id FROM user_account WHERE role = 'caregroup' AND care_group_id = :cg "
                "ORDER BY id LIMIT 1"
            ),
            {"cg": who.care_group_id},
        ).scalar_one()

    def client_for(user_id):
        client = app.test_client()
        client.set_cookie("session", session_cookie(app, user_id, engine).split("=", 1)[1])
        return client

    poh, group = client_for(who.poh_id), client_for(group_user)
    pages: list[int] = []

    def get(client, path):
        def run():
            response = client.get(path)
            response.close()  # as a WSGI server does once the answer is sent
            assert response.status_code == 200, (path, response.status_code)
            assert response.data.startswith(b"%PDF")
            pages.append(pdf_pages(response.data))

        return run

    def floor():
        render_pdf("<html><body><p>Zorgplan</p></body></html>")

    few = max(1, repeat // 4)
    times = _times(get(poh, f"/patienten/{patient_id}/plan.pdf"), few)
    plan_pages = pages[-1]
    rows = [
        compare(
            "care plan PDF",
            times,
            "WeasyPrint, a one-line page",
            _times(floor, few),
            target="<= 1.5 s",
            check=lambda m, _p, _r: m <= 1500,
            note=f"{plan_pages} page(s)",
        )
    ]
    report = f"/zorggroep/rapport/{who.care_group_id}/export.pdf?van=2025-12-01&tot=2026-11-30"
    times = _times(get(group, report), max(1, repeat // 8))
    report_pages = pages[-1]
    rows.append(
        compare(
            "care-group report PDF",
            times,
            "WeasyPrint, a one-line page",
            _times(floor, few),
            target="<= 10 s, <= 25 pages",
            check=lambda m, _p, _r: m <= 10_000 and report_pages <= 25,
            note=f"{report_pages} page(s)",
        )
    )
    return rows


def pdf_pages(data: bytes) -> int:
    """The page count of a PDF (WeasyPrint compresses its objects: look inside the streams)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count (\d+)", b"".join(parts))]
    counts += [int(n) for n in re.findall(rb"/Count (\d+)[^>]*?/Type\s*/Pages\b", b"".join(parts))]
    return max(counts, default=len(re.findall(rb"/Type\s*/Page(?![s\w])", b"".join(parts))))


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm up
    return [_stopwatch(fn) for _ in range(repeat)]


# --- every periodic job -------------------------------------------------------------------------


def job_scenarios(app, engine, who, today, repeat: int, compare) -> list:
    """Every daily job as the scheduler runs it (``job.func(session, today)`` in one unit of
    work): the first run, which sends, and reruns, which have nothing to send; the interval
    jobs (bulk export, its clean-up) with nothing queued."""
    from zelfzorg.accounts.models import User
    from zelfzorg.accounts.scope import actor_for
    from zelfzorg.contracting.schedule import ScheduleInput, create_schedule
    from zelfzorg.notifications.jobs import INTERVAL_JOBS, JOBS

    with Session(engine) as session:  # a monthly export, so the export job has work
        user = (
            session.exec(
                sa.select(User).where(
                    User.role == "caregroup", User.care_group_id == who.care_group_id
                )
            )
            .scalars()
            .first()
        )
        actor = actor_for(session, user, "127.0.0.1")
        create_schedule(
            session,
            actor,
            ScheduleInput(frequency="monthly", formats=["csv"]),
            today=today - timedelta(days=40),
        )
        session.commit()

    # The generator wrote the night's outcome snapshot of today (so the pages read it); each
    # night the job finds no snapshot of its new day: the mark is taken away, so its first run
    # here does a night's work (it rewrites the snapshot, the older rows removed).
    from zelfzorg.outcomes.models import CohortSnapshot

    with Session(engine) as session:
        session.execute(sa.delete(CohortSnapshot).where(CohortSnapshot.day == today))
        session.commit()

    bare = sa.text("SELECT count(DISTINCT patient_id) FROM enrolment WHERE end_date IS NULL")

    def reference():
        with engine.connect() as conn:
            conn.execute(bare).all()

    few = max(1, repeat // 4)
    ref = [_stopwatch(reference) for _ in range(few)]
    rows = []
    for name in sorted(JOBS):
        job = JOBS[name]
        results: list[str] = []

        def once(job=job, results=results):
            with Session(engine, expire_on_commit=False) as session:
                results.append(job.func(session, today))
                session.commit()

        first = [_stopwatch(once)]
        sent = results[-1]
        rows.append(
            compare(
                f"job {name}, first run",
                first,
                "bare in-care count",
                ref,
                target="<= 5 s",
                check=lambda m, _p, _r: m <= 5000,
                note=sent,
            )
        )
        reruns = [_stopwatch(once) for _ in range(few)]
        rows.append(
            compare(
                f"job {name}, rerun (nothing to send)",
                reruns,
                "bare in-care count",
                ref,
                target="<= 1 s",
                check=lambda m, _p, _r: m <= 1000,
                note=results[-1],
            )
        )
    settings = dict(app.config)
    for name in sorted(INTERVAL_JOBS):
        job = INTERVAL_JOBS[name]
        results = []
        times = _times(
            lambda job=job, results=results: results.append(job.func(engine, settings)), few
        )
        rows.append(
            compare(
                f"job {name} (interval), nothing queued",
                times,
                "bare in-care count",
                ref,
                target="<= 1 s",
                check=lambda m, _p, _r: m <= 1000,
                note=results[-1],
            )
        )
    return rows
