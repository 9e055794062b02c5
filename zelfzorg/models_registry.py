"""Import a named module from every domain package: models (so SQLModel.metadata knows all
tables, for Alembic and tests), jobs and worklist sources (which register themselves)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import zelfzorg


def import_domain_modules(name: str) -> list[ModuleType]:
    modules = []
    for module in pkgutil.iter_modules(zelfzorg.__path__):
        if module.ispkg:
            full = f"zelfzorg.{module.name}.{name}"
            try:
                modules.append(importlib.import_module(full))
            except ModuleNotFoundError as error:
                if error.name != full:
                    raise
    return modules


def import_all_models() -> None:
    """Every domain's ``models.py`` and any further ``<topic>_models.py`` beside it."""
    for module in import_domain_modules("models"):
        package = importlib.import_module(module.__name__.rpartition(".")[0])
        for sub in pkgutil.iter_modules(package.__path__):
            if sub.name.endswith("_models") and not sub.ispkg:
                importlib.import_module(f"{package.__name__}.{sub.name}")
