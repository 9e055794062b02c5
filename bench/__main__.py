"""``python -m bench [--db sqlite|postgresql] [--patients N] [--years Y]``: see runner.py."""

from __future__ import annotations

import argparse

from bench.runner import run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per scenario")
    parser.add_argument("--requests", type=int, default=480, help="HTTP requests per page")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--import-rows", type=int, default=1_000_000, help="readings per import scenario"
    )
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn scenarios")
    parser.add_argument(
        "--only-http",
        action="store_true",
        help="only the gunicorn scenarios (and the audit check after them)",
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
    )


if __name__ == "__main__":
    main()
