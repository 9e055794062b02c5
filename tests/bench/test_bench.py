"""The benchmark runs end to end in its reduced form and prints the one table (the numbers are
not checked: timings are never asserted)."""

from __future__ import annotations

from bench.runner import run


def test_reduced_benchmark_runs_and_prints_every_scenario():
    printed: list[str] = []
    result = run(
        db="sqlite",
        patients=40,
        repeat=2,
        requests=32,
        workers=2,
        echo=printed.append,
        save=False,
    )
    scenarios = [row["scenario"] for row in result["rows"]]
    assert len(scenarios) == 9
    assert any("L2 eligibility" in s for s in scenarios)
    assert "outcome comparison with the review screen" in scenarios
    assert any("gunicorn" in s and "/mijn/plan" in s for s in scenarios)
    table = printed[-1]
    assert table.splitlines()[2].startswith("| scenario | median ms | p95 ms | reference")
    assert all(s in table for s in scenarios)
    # The HTTP load ran without errors and the audit chain it appended to verifies.
    http = [row for row in result["rows"] if "gunicorn" in row["scenario"]]
    assert all(", 0 errors" in row["note"] for row in http)
    audit = result["rows"][-1]
    assert audit["scenario"].startswith("audit chain") and audit["passed"]
