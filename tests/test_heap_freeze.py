"""A worker's long-lived heap leaves the cyclic collector after GC_FREEZE_AFTER requests
(zelfzorg/heap.py), once the answer is sent (the WSGI server closes the response); 0 and the
tests' config never freeze."""

from __future__ import annotations

import gc

import pytest

from zelfzorg import create_app
from zelfzorg.config import Config, TestConfig


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # what a test froze is collected again afterwards


def served(app, n: int) -> list[int]:
    """The freeze count after each of ``n`` answered (and closed) requests."""
    client = app.test_client()
    counts = []
    for _ in range(n):
        response = client.get("/login")
        assert response.status_code == 200
        response.close()
        counts.append(gc.get_freeze_count())
    return counts


def test_freezes_after_the_nth_request_and_at_ten_times(database_url, unfrozen):
    class Freezing(TestConfig):
        DATABASE_URL = database_url
        GC_FREEZE_AFTER = 3

    app = create_app(Freezing)
    counts = served(app, 30)
    assert counts[:2] == [0, 0]
    assert counts[2] > 0  # the third answer froze the heap
    gc.unfreeze()
    counts = served(app, 27)  # requests 31..57: the mark at 30 is passed, 300 not reached
    assert set(counts) == {0}
    app.extensions["zelfzorg_engine"].dispose()


def test_the_freeze_waits_for_the_answer_to_be_sent(database_url, unfrozen):
    class Freezing(TestConfig):
        DATABASE_URL = database_url
        GC_FREEZE_AFTER = 1

    app = create_app(Freezing)
    response = app.test_client().get("/login")
    assert gc.get_freeze_count() == 0  # answered, not yet sent
    response.close()
    assert gc.get_freeze_count() > 0
    app.extensions["zelfzorg_engine"].dispose()


def test_off_in_the_tests_and_on_in_production(app, client, unfrozen):
    assert TestConfig.GC_FREEZE_AFTER == 0
    assert Config.GC_FREEZE_AFTER > 0
    for _ in range(3):
        client.get("/login").close()
    assert gc.get_freeze_count() == 0
