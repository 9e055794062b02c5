"""The long-lived part of a worker's heap, frozen out of the cyclic garbage collector.

A worker holds about 230,000 objects that live as long as the process: modules, the app,
compiled templates and statements, the catalogues. Each full (oldest generation) collection
walks all of them again: measured at 110-150 ms on this project's worker, with nothing to
collect, landing on whichever request happened to allocate past the threshold (on the POH
worklist about one request in 30). ``gc.freeze()`` moves what is alive into a permanent
generation the collector skips; reference counting still frees those objects as usual, only
a cycle among them is never collected (what is frozen is what stays: the heap of a started
worker).

The freeze happens after the ``GC_FREEZE_AFTER`` th request of a process (and again after 10x
and 100x that many, as caches fill with the pages visited later), once the response has been
sent (``call_on_close``): the collection before each freeze is paid by no request. 0 turns
it off (the tests: their process makes and drops hundreds of apps).
"""

from __future__ import annotations

import gc
import os

from flask import Flask, Response

#: How many times a process freezes: after N, 10N and 100N requests.
FREEZES = 3


def freeze_heap() -> int:
    """Collect what is garbage now, then freeze what is left; returns the frozen count."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def init_app(app: Flask) -> None:
    after = int(app.config.get("GC_FREEZE_AFTER") or 0)
    if after <= 0:
        return
    marks = {after * 10**i for i in range(FREEZES)}
    state = {"pid": os.getpid(), "served": 0}

    @app.after_request
    def _count(response: Response) -> Response:
        if state["pid"] != os.getpid():  # a forked worker counts its own requests
            state["pid"], state["served"] = os.getpid(), 0
        state["served"] += 1
        if state["served"] in marks:
            response.call_on_close(freeze_heap)
        return response
