"""A separate process that runs every scheduled job once, as an app process or a restarted
scheduler would (used by test_one_time_jobs.py through multiprocessing)."""

from __future__ import annotations


def run_all_jobs(url: str, barrier, results) -> None:
    from zelfzorg.db import make_engine
    from zelfzorg.models_registry import import_domain_modules

    import_domain_modules("models")
    import_domain_modules("jobs")
    from zelfzorg.notifications.jobs import JOBS, run_job

    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)  # all processes start their runs at the same moment
        outcome = {}
        for name in sorted(JOBS):
            try:
                outcome[name] = run_job(engine, name)
            except Exception as error:  # reported to the test, which fails on it
                outcome[name] = f"ERROR {type(error).__name__}: {error}"
        results.put(outcome)
    finally:
        engine.dispose()
