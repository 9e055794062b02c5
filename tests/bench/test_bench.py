"""The benchmark runs end to end in its reduced form and prints the one table (the numbers are
not checked: timings are never asserted). It runs on the suite's database kind: SQLite, or
with ``TEST_DATABASE_URL`` on PostgreSQL a database of its own next to the suite's
(``<name>_bench``, dropped and created), so the suite's own database is never touched."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bench.contracting import reference_figures, report_figures, report_period
from bench.runner import TODAY, run
from tests.conftest import test_database_url as suite_database_url
from zelfzorg.accounts.models import CareGroup
from zelfzorg.contracting.services import compute_report, practices_of
from zelfzorg.generator import generate
from zelfzorg.notifications.jobs import INTERVAL_JOBS, JOBS


def bench_target() -> tuple[str, str | None]:
    url = suite_database_url()
    if url.startswith("sqlite"):
        return "sqlite", None
    parsed = make_url(url)
    return "postgresql", parsed.set(database=f"{parsed.database}_bench").render_as_string(
        hide_password=False
    )


def test_reduced_benchmark_runs_and_prints_every_scenario():
    db, url = bench_target()
    printed: list[str] = []
    result = run(
        db=db,
        url=url,
        patients=40,
        repeat=1,
        requests=32,
        workers=2,
        import_rows=300,
        echo=printed.append,
        save=False,
    )
    assert result["database"] == db
    scenarios = [row["scenario"] for row in result["rows"]]
    jobs = [f"job {name}, first run" for name in JOBS]
    jobs += [f"job {name}, rerun (nothing to send)" for name in JOBS]
    jobs += [f"job {name} (interval), nothing queued" for name in INTERVAL_JOBS]
    assert set(jobs) <= set(scenarios)
    for expected in (
        "contracting report, care group + every practice (1)",
        "L2 eligibility, whole care group",
        "measurement overview page (POH), 5-year patient",
        "measurement overview data (services.overview), 5-year patient",
        "patient dashboard /mijn, 5-year patient",
        "POH worklist (largest practice)",
        "eligible, not yet offered (largest practice)",
        "outcome comparison with the review screen",
        "care plan PDF",
        "care-group report PDF",
        "$everything streamed (/mijn/gegevens.json), 5-year patient",
        "measurement import, CSV, 300 rows",
        "measurement import, FHIR transaction, 300 rows",
        "FHIR transaction import, Patient+Condition+EpisodeOfCare+Observation",
    ):
        assert expected in scenarios
    assert any("gunicorn" in s and "/mijn/plan" in s for s in scenarios)
    assert any("gunicorn" in s and "POH patient page" in s for s in scenarios)
    # 7 in-process scenarios, the contracting report, every job, 2 PDFs, $everything, 3 HTTP
    # pages, 3 imports, the audit.
    assert len(scenarios) == 7 + 1 + len(jobs) + 2 + 1 + 3 + 3 + 1
    table = printed[-1]
    assert table.splitlines()[2].startswith("| scenario | median ms | p95 ms | reference")
    assert all(s in table for s in scenarios)
    rows = {row["scenario"]: row for row in result["rows"]}
    # Every import stored its rows once: the re-import added none.
    for name in ("CSV", "FHIR transaction"):
        note = rows[f"measurement import, {name}, 300 rows"]["note"]
        assert "stored 300;" in note and "+0 rows;" in note, note
        assert "queued patients recomputed by the queue job afterwards" in note, note
        assert ("log copied by the checkpoint job afterwards" in note) == (db == "sqlite"), note
    # The PDFs were real PDFs with pages; the download streamed a 5-year record.
    assert "0 page(s)" not in rows["care plan PDF"]["note"]
    everything = rows["$everything streamed (/mijn/gegevens.json), 5-year patient"]["note"]
    assert f"({TODAY.year - 5}-" in everything, everything
    # The overview and the dashboard were timed on that same 5-year record.
    overview = rows["measurement overview page (POH), 5-year patient"]["note"]
    assert int(overview.split()[0].replace(",", "")) >= 5 * 365 * 4 - 400, overview
    # The HTTP load ran without errors and the audit chain it appended to verifies.
    http = [row for row in result["rows"] if "gunicorn" in row["scenario"]]
    assert all(", 0 errors" in row["note"] for row in http)
    report = rows["contracting report, care group + every practice (1)"]["note"]
    assert "equal to the reference" in report and "peak RSS" in report, report
    audit = result["rows"][-1]
    assert audit["scenario"].startswith("audit chain") and audit["passed"]


def test_only_http_runs_the_gunicorn_pages_and_the_audit_check():
    db, url = bench_target()
    result = run(
        db=db,
        url=url,
        patients=40,
        repeat=1,
        requests=32,
        workers=2,
        import_rows=300,
        only_http=True,
        echo=lambda _line: None,
        save=False,
    )
    scenarios = [row["scenario"] for row in result["rows"]]
    assert len(scenarios) == 3 + 1
    assert all("gunicorn" in s for s in scenarios[:3])
    assert all(", 0 errors" in row["note"] for row in result["rows"][:3])
    assert scenarios[-1].startswith("audit chain") and result["rows"][-1]["passed"]


def test_an_existing_database_is_measured_as_it_is():
    """``--database URL``: a care group generated before is measured without being dropped or
    generated again (the patients counted from it); measured again, its imports store new
    readings and patients (not the last run's again, which would add nothing)."""
    from bench.runner import build, database_url

    db, url = bench_target()
    url = database_url(db, url)
    _app, engine = build(url, 30, 1, lambda _line: None)
    engine.dispose()
    for _ in range(2):
        result = run(
            existing=url,
            repeat=1,
            import_rows=100,
            http=False,
            echo=lambda _line: None,
            save=False,
        )
        imports = [r for r in result["rows"] if r["scenario"].startswith("measurement import")]
        assert len(imports) == 2 and all("stored 100;" in r["note"] for r in imports), imports
    assert result["patients"] == 30 + 2 * 10  # each run's FHIR import adds 10 patients
    scenarios = [row["scenario"] for row in result["rows"]]
    assert "contracting report, care group + every practice (1)" in scenarios
    assert result["rows"][-1]["passed"]  # the audit chain of the runs verifies


def test_an_existing_database_without_a_care_group_is_refused_with_a_clear_message():
    from bench.runner import database_url

    db, url = bench_target()
    with pytest.raises(SystemExit, match="holds no care group to measure"):
        run(existing=database_url(db, url), repeat=1, http=False, echo=lambda _l: None)


def test_contracting_reference_sql_gives_the_report_numbers_on_generated_data(engine):
    """The hand-written SQL the benchmark times the report against is honest: on a generated
    care group it gives exactly the report's figures (every indicator, the care group and every
    practice, every stratum, I4's mean and A2's levels)."""
    today = date(2026, 12, 1)
    generate(engine, patients_n=300, practices_n=3, years=1, seed=3, today=today)
    start, end = report_period(today)
    with Session(engine) as session:
        care_group_id = session.exec(select(CareGroup.id)).one()
        practice_ids = [p.id for p in practices_of(session, care_group_id)]
        report = report_figures(
            compute_report(session, care_group_id=care_group_id, start=start, end=end)
        )
    with engine.connect() as conn:
        reference = reference_figures(conn, care_group_id, start, end, practice_ids)
    assert len(practice_ids) == 3
    # The bench data reaches every indicator family: no numerator is zero for the care group
    # except the statements the generator does not make (V1, V2, P0).
    totals = {key[0]: value for key, value in report.items() if key[1:] == (None, None)}
    assert all(totals[i][0] for i in totals if i not in ("V1", "V2", "P0")), totals
    assert reference == report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "0"], "from 1 to 1,000,000"),
        (["--years", "100"], "from 1 to 50"),
        (["--import-rows", "-1"], "at least 1"),
        (["--repeat", "x"], "not a whole number"),
    ],
)
def test_bad_sizes_are_refused_before_anything_is_built(args, message, capsys, monkeypatch):
    import sys

    from bench import __main__ as cli

    monkeypatch.setattr(sys, "argv", ["python -m bench", *args])
    monkeypatch.setattr(cli, "run", lambda **_: pytest.fail("the bench ran"))
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
