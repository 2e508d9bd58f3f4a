"""The root cause's first views, computed right after an import (:mod:`cx.store.stored` keeps them):
for every metric, the latest change and the sidebar's default period (the last 90 days against the 90
before), the views the page and the summary's "Why?" links open on; for the whole brand, and for the
stores of each grant an active regional or store manager holds, as the page opens on those for them.

``python -m cx demo`` and ``python -m cx prepare`` compute them before they return; the Data page
hands them to one background worker, so the person who imported is not kept waiting (a page opened
before the worker is done computes its view itself).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine

from cx.analysis.explain import EXPLAIN_METRICS, explain_change
from cx.ingest.wording import plural
from cx.periods import preset_period
from cx.store.queries import latest_data_day
from cx.store.scope import Scope
from cx.store.users import granted_store_sets

DEFAULT_PERIOD = "last_90_days"  # the sidebar's default period
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare-root-cause")


def prepare_root_cause(engine: Engine) -> list[dict]:
    """Compute and keep each first view; ``metric, view, scope, seconds`` per view, ``scope`` being
    ``brand`` or ``N stores`` (none without data)."""
    latest = latest_data_day(engine)
    if latest is None:
        return []
    views = {"latest change": None, DEFAULT_PERIOD: preset_period(DEFAULT_PERIOD, latest)}
    scopes = [("brand", Scope())] + [
        (plural(len(stores), "store"), Scope(visible_stores=stores)) for stores in granted_store_sets(engine)
    ]
    prepared = []
    for label, scope in scopes:
        for metric in EXPLAIN_METRICS:
            for view, period in views.items():
                started = time.perf_counter()
                explain_change(engine, metric=metric, scope=scope, period=period)
                seconds = round(time.perf_counter() - started, 2)
                prepared.append({"metric": metric, "view": view, "scope": label, "seconds": seconds})
    return prepared


def prepare_in_background(engine: Engine) -> Future:
    """:func:`prepare_root_cause` on the background worker (imports queue behind one another); a
    failure is logged, as the page then computes the view itself."""
    future = _WORKER.submit(prepare_root_cause, engine)
    future.add_done_callback(_log_failure)
    return future


def _log_failure(future: Future) -> None:
    if future.exception() is not None:
        logging.getLogger(__name__).warning("Preparing the root cause failed: %s", future.exception())
