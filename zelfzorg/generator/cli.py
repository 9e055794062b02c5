"""``flask --app wsgi zelfzorg generate --patients N --practices P --years Y --seed S``."""

from __future__ import annotations

import click

from zelfzorg.cli import engine as cli_engine
from zelfzorg.web import today as app_today


def register(group) -> None:
    @group.command("generate")
    @click.option("--patients", "patients_n", default=2000, show_default=True, type=int)
    @click.option("--practices", "practices_n", default=10, show_default=True, type=int)
    @click.option("--years", default=2, show_default=True, type=int)
    @click.option("--seed", default=1, show_default=True, type=int)
    @click.option(
        "--today",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Reference day (default: today); the same seed and day give the same rows.",
    )
    def generate_command(patients_n, practices_n, years, seed, today):
        """Build a generated care group through bulk inserts (benchmarks, load tests)."""
        from zelfzorg.generator.build import STEPS, GeneratorError, generate

        engine = cli_engine()  # a database without tables: a message, before any progress
        steps = 1 + len(STEPS)
        with click.progressbar(length=patients_n * steps, label="Genereren") as bar:
            try:
                counts = generate(
                    engine,
                    patients_n=patients_n,
                    practices_n=practices_n,
                    years=years,
                    seed=seed,
                    today=today.date() if today else app_today(),  # the app's (Amsterdam) day
                    progress=lambda _step, n: bar.update(n),
                )
            except GeneratorError as error:
                raise click.ClickException(str(error)) from error
        for table, n in sorted(counts.items()):
            click.echo(f"{table:28} {n:>12,}")
