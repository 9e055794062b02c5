"""A generated care group at scale (``flask --app wsgi zelfzorg generate``): see build.py."""

from zelfzorg.generator.build import STEPS, Context, GeneratorError, generate, readings_history

__all__ = ["STEPS", "Context", "GeneratorError", "generate", "readings_history"]
