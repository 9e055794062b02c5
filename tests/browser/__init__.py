"""Browser tests (Playwright + Chromium + axe-core); fixtures in conftest.py."""
