"""The project's benchmark: ``python -m bench [--db sqlite|postgresql] [--patients N]``."""
