"""Import every models module so SQLModel.metadata knows all tables (Alembic, tests)."""

from __future__ import annotations

import importlib
import pkgutil

import zelfzorg


def import_all_models() -> None:
    for module in pkgutil.iter_modules(zelfzorg.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"zelfzorg.{module.name}.models")
            except ModuleNotFoundError as error:
                if error.name != f"zelfzorg.{module.name}.models":
                    raise
