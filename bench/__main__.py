"""``python -m bench [--db sqlite|postgresql] [--patients N] [--years Y]``: see runner.py."""

from __future__ import annotations

import argparse

from bench.runner import run
from zelfzorg.generator.build import MAX_PATIENTS, MAX_YEARS

# The generator's own bounds, checked before anything is built.
LIMITS = {"--patients": MAX_PATIENTS, "--years": MAX_YEARS}


def count(name: str, low: int = 1):
    """An argparse type: a whole number from ``low`` up to the option's limit (if any)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        high = LIMITS.get(name)
        if value < low or (high is not None and value > high):
            bound = f"from {low:,} to {high:,}" if high is not None else f"at least {low:,}"
            raise argparse.ArgumentTypeError(f"{value:,} is not allowed: {bound}")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patients", type=count("--patients"), default=5000)
    parser.add_argument("--years", type=count("--years"), default=1)
    parser.add_argument(
        "--repeat", type=count("--repeat"), default=20, help="timed runs per scenario"
    )
    parser.add_argument(
        "--requests", type=count("--requests"), default=480, help="HTTP requests per page"
    )
    parser.add_argument("--workers", type=count("--workers"), default=4, help="gunicorn workers")
    parser.add_argument(
        "--import-rows",
        type=count("--import-rows"),
        default=1_000_000,
        help="readings per import scenario",
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
