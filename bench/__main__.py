"""``python -m bench [--db sqlite|postgresql] [--patients N] [--years Y]``: see runner.py."""

from __future__ import annotations

import argparse

from bench.runner import run
from zelfzorg.generator.build import MAX_PATIENTS, MAX_YEARS


def count(high: int | None = None):
    """An argparse type: a whole number from 1, up to ``high`` (the generator's own bounds for
    sizes), checked before anything is built."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < 1 or (high is not None and value > high):
            bound = f"from 1 to {high:,}" if high is not None else "at least 1"
            raise argparse.ArgumentTypeError(f"{value:,} is not allowed: {bound}")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patients", type=count(MAX_PATIENTS), default=5000)
    parser.add_argument("--years", type=count(MAX_YEARS), default=1)
    parser.add_argument("--repeat", type=count(), default=20, help="timed runs per scenario")
    parser.add_argument("--requests", type=count(), default=480, help="HTTP requests per page")
    parser.add_argument("--workers", type=count(), default=4, help="gunicorn workers")
    parser.add_argument(
        "--import-rows",
        type=count(),
        default=1_000_000,
        help="readings per import scenario",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn scenarios")
    parser.add_argument(
        "--only-http",
        action="store_true",
        help="only the gunicorn scenarios (and the audit check after them)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="measure a database generated before (an earlier run's, or `zelfzorg generate`): "
        "migrated to head, not dropped and not filled again; the imports and the jobs' first "
        "runs write to it, so a second run finds less to send",
    )
    args = parser.parse_args()
    run(
        db=args.db,
        patients=args.patients,
        years=args.years,
        repeat=args.repeat,
        requests=args.requests,
        workers=args.workers,
        import_rows=args.import_rows,
        http=not args.no_http,
        only_http=args.only_http,
        existing=args.database,
    )


if __name__ == "__main__":
    main()
