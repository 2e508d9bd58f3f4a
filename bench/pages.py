"""Page benchmark: every dashboard page's first render, on the demo brand and on the large brand.

Each page runs through the router (``app.py`` and its ``st.navigation``) in Streamlit's AppTest, in a
new session with empty caches: ``st.cache_data`` and ``st.cache_resource`` are cleared before it, so
the engine, the schema check and every cached query are paid again, as on a page nobody opened yet. The
pages run in this one process, after one untimed pass over every page, so the Python modules they use
are already imported, as in a running server (a new process per page would time the imports over and
over). What the imports cost is timed apart: "first page after start" is a new Python process that
imports Streamlit, runs the router and renders the summary (interpreter start to rendered page).

The root cause is opened twice: from the sidebar (no query parameters) and as the summary's "Why?"
link opens it (``metric``, ``mode=period`` and the filters the sidebar put in the URL); each once with
its first views prepared, as after an import (``python -m cx prepare``, the demo, the Data page), and
once "not prepared", with every kept answer deleted first (:mod:`cx.store.stored`), as when a page
is opened before its view was prepared.

Ratios are against baselines measured in the same run, so figures compare across machines: a new
AppTest's first run of an empty page (one ``st.title``), and for the first page after start a new
process that renders that empty page.

Brands: the demo brand (``python -m cx demo``, built once into ``bench/out/demo.db``) and the large
brand of ``bench/metrics.py`` (1,000 stores, 2,000,000 NPS answers, built once into ``bench/out/``,
about five minutes). Pages are read signed in, as an administrator (``admin@demo``; on the large
brand ``admin@bench``, added with ``region@bench``, a regional manager of its first region); the
"regional manager" rows read as ``gulf@demo`` and ``region@bench``, whose first views are prepared
for their grant. Targets: <= 2 s a page on the demo brand, <= 3 s on the large brand, and the first
page <= 3 s after start.

    .venv/bin/python -m bench.pages [--brand demo|large] [--page NAME] [--repeats N] [--profile DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import streamlit as st
from sqlalchemy import delete
from streamlit.logger import set_log_level
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.local_script_runner import LocalScriptRunner

from bench.metrics import large_brand_url
from cx.analysis.prepare import prepare_root_cause
from cx.cli import main as cx_main
from cx.config import make_engine
from cx.store import users
from cx.store.models import StoredResult
from cx.store.queries import store_directory

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
OUT = ROOT / "bench" / "out"
DEMO_DATABASE = OUT / "demo.db"
WHY_LINK = {"metric": "nps", "mode": "period", "period": "last_90_days", "compare": "previous"}
PAGES = {  # name -> (page script, query parameters, title in the page's h1)
    "summary": ("ui/summary.py", {}, "Executive summary"),
    "summary, regional manager": ("ui/summary.py", {}, "Executive summary"),
    "compare": ("ui/compare.py", {}, "Compare locations"),
    "touchpoints": ("ui/touchpoints.py", {}, "Touchpoints & journey"),
    "root cause (sidebar)": ("ui/root_cause/page.py", {}, "Root cause"),
    "root cause (Why? link)": ("ui/root_cause/page.py", WHY_LINK, "Root cause"),
    "root cause (sidebar), not prepared": ("ui/root_cause/page.py", {}, "Root cause"),
    "root cause (Why?), not prepared": ("ui/root_cause/page.py", WHY_LINK, "Root cause"),
    "root cause, regional manager": ("ui/root_cause/page.py", {}, "Root cause"),
    "goals": ("ui/goals.py", {}, "Goals"),
    "data": ("ui/data.py", {}, "Data"),
    "methods": ("ui/methods.py", {}, "Methods"),
}
SIGNED_IN = {"demo": "admin@demo", "large": "admin@bench"}  # who reads each brand's pages
MANAGERS = {"demo": "gulf@demo", "large": "region@bench"}  # the "regional manager" rows
FIRST_PAGE = "first page after start"
TARGETS = {"demo": 2.0, "large": 3.0, FIRST_PAGE: 3.0}
EMPTY_PAGE = "import streamlit as st\nst.title('Baseline')\n"
START_SCRIPT = """
import datetime as dt
from streamlit.testing.v1 import AppTest
app = AppTest.from_{kind}({source!r}, default_timeout=600)
if {user!r}:
    app.session_state["cx_session"] = {{"email": {user!r}, "since": dt.datetime.now(), "method": "password"}}
app.run()
assert not app.exception, [e.value for e in app.exception]
assert app.title[0].value == {title!r}, app.title
import time
print(time.time(), flush=True)
"""


def demo_url() -> str:
    """The demo brand's SQLite URL, loaded first when missing."""
    OUT.mkdir(exist_ok=True)
    url = f"sqlite:///{DEMO_DATABASE}"
    if not DEMO_DATABASE.exists():
        with contextlib.redirect_stdout(io.StringIO()):
            cx_main(["demo", "--db", url])
    return url


def add_bench_users(url: str) -> None:
    """On the large brand (no users of its own): an administrator, and a regional manager of its
    first region, once."""
    engine = make_engine(url)
    known = {found["email"] for found in users.list_users(engine)}
    if "admin@bench" not in known:
        users.add_user(engine, "admin@bench", role="admin")
    if "region@bench" not in known:
        region = store_directory(engine)["region"].dropna().min()
        users.add_user(engine, "region@bench", role="regional_manager", grants=[("region", region)])
    engine.dispose()


def warm_file(path: Path) -> None:
    """Read the database file once, so the first page does not pay for a cold disk."""
    for part in (path, Path(f"{path}-wal")):
        if part.exists():
            with part.open("rb") as handle:
                while handle.read(1 << 24):
                    pass


def set_kept_answers(url: str, name: str) -> None:
    """Before a root cause row: its first views prepared, or no kept answer at all ("not prepared")."""
    if not name.startswith("root cause"):
        return
    engine = make_engine(url)
    if name.endswith("not prepared"):
        with engine.begin() as connection:
            connection.execute(delete(StoredResult))
    else:
        prepare_root_cause(engine)
    engine.dispose()


def render(
    url: str, page: str, params: dict[str, str], title: str, profiler=None, user: str | None = None
) -> float:
    """Seconds of one first render of ``page`` in a new session with empty caches, signed in as
    ``user`` (a session as the sign-in form leaves it; None: the open dashboard of a brand without users).

    AppTest can address a page registered under its own ``url_path`` (the root cause's) only once the
    router has run, so the session first runs the Methods page, untimed (that first run also pays
    AppTest's scan of the installed packages for components, which a server does once at start);
    then every cache is cleared and the page runs."""
    os.environ["CX_DATABASE_URL"] = url
    app = AppTest.from_file(APP, default_timeout=600)
    if user:
        app.session_state["cx_session"] = {"email": user, "since": dt.datetime.now(), "method": "password"}
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page("ui/methods.py").run()
    st.cache_data.clear()
    st.cache_resource.clear()
    app.switch_page(page)
    started = time.perf_counter()
    with profiled_script_thread(profiler) if profiler else contextlib.nullcontext():
        app.run()
    seconds = time.perf_counter() - started
    if app.exception or not app.title or app.title[0].value != title:
        shown = [e.value for e in app.exception] or [t.value for t in app.title]
        raise SystemExit(f"{page} {params} did not render: {shown}")
    return seconds


@contextlib.contextmanager
def profiled_script_thread(profiler: cProfile.Profile):
    """Profile the thread AppTest runs the script in (cProfile sees only the thread it is enabled in)."""
    original = LocalScriptRunner._run_script_thread

    def run(self) -> None:
        profiler.enable()
        try:
            original(self)
        finally:
            profiler.disable()

    LocalScriptRunner._run_script_thread = run
    try:
        yield
    finally:
        LocalScriptRunner._run_script_thread = original


def empty_page() -> float:
    """Seconds of the in-process baseline: a new AppTest's first run of a page with one title (best of
    5). That run is mostly AppTest's scan of the installed packages for components: plain Python work,
    a yardstick of the machine. (The empty page's own render, a few milliseconds, is too short to be one.)"""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        AppTest.from_string(EMPTY_PAGE, default_timeout=60).run()
        best = min(best, time.perf_counter() - started)
    return best


def after_start(url: str | None, user: str | None = None) -> float:
    """Seconds from starting a new Python process to its rendered page (not to its exit): the router's
    summary on ``url`` as ``user``, or with ``url`` None the empty page (the baseline)."""
    if url is None:
        script = START_SCRIPT.format(kind="string", source=EMPTY_PAGE, title="Baseline", user=None)
    else:
        script = START_SCRIPT.format(kind="file", source=APP, title="Executive summary", user=user)
    env = {**os.environ, "CX_DATABASE_URL": url or ""}
    started = time.time()  # the child prints the time its page is rendered (its exit comes after)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True)
    return float(done.stdout.split()[-1]) - started


def measure_brand(brand: str, url: str, pages: list[str], repeats: int, profile: Path | None) -> dict:
    """Best of ``repeats`` first renders of each page, and the first page after start."""
    warm_file(Path(url.split("///", 1)[1]))
    results = {}
    for name in pages:
        script, params, title = PAGES[name]
        user = MANAGERS[brand] if name.endswith("regional manager") else SIGNED_IN[brand]
        seconds = []
        for attempt in range(repeats):
            set_kept_answers(url, name)
            profiler = cProfile.Profile() if profile and attempt == 0 else None
            seconds.append(render(url, script, params, title, profiler, user))
            if profiler:
                profile.mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(
                    profile / f"{brand}_{re.sub(r'[^a-z]+', '_', name.lower()).strip('_')}.prof"
                )
        results[name] = min(seconds)
        print(f"  {brand:6} {name:36} {results[name]:7.2f} s", flush=True)
    results[FIRST_PAGE] = min(after_start(url, SIGNED_IN[brand]) for _ in range(repeats))
    print(f"  {brand:6} {FIRST_PAGE:36} {results[FIRST_PAGE]:7.2f} s", flush=True)
    return results


def print_table(results: dict[str, dict[str, float]], baselines: dict[str, float]) -> None:
    """Page x brand: seconds, ratio to the baseline and the target; ``!`` marks a missed target."""
    brands = list(results)
    rows = [*PAGES, FIRST_PAGE]
    print(f"\n{'page':36}" + "".join(f"{brand:>26}" for brand in brands))
    for row in rows:
        cells = []
        for brand in brands:
            if row not in results[brand]:
                cells.append(f"{'-':>26}")
                continue
            seconds = results[brand][row]
            target = TARGETS[FIRST_PAGE if row == FIRST_PAGE else brand]
            base = baselines["process" if row == FIRST_PAGE else "page"]
            mark = " " if seconds <= target else "!"
            cells.append(f"{seconds:6.2f} s{mark}(<= {target:.0f}) x{seconds / base:6.1f}")
        print(f"{row:36}" + "".join(f"{cell:>26}" for cell in cells))
    print(f"baselines: empty page {baselines['page']:.3f} s (pages), empty page after start "
          f"{baselines['process']:.3f} s (first page); x = seconds / baseline")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brand", choices=("demo", "large"), action="append", help="default: both")
    parser.add_argument("--page", choices=list(PAGES), action="append", help="default: every page")
    parser.add_argument("--repeats", type=int, default=1, help="first renders per page (best is kept)")
    parser.add_argument("--profile", type=Path, help="write a cProfile file per page here")
    args = parser.parse_args()
    set_log_level("error")
    logging.getLogger("py.warnings").setLevel(logging.ERROR)
    urls = {"demo": demo_url(), "large": None}
    brands = args.brand or ["demo", "large"]
    if "large" in brands:
        urls["large"] = large_brand_url(rebuild=False)
        add_bench_users(urls["large"])
    pages = args.page or list(PAGES)
    for name in PAGES:  # untimed: imports every module the pages use, as a running server has
        render(urls["demo"], *PAGES[name], user=SIGNED_IN["demo"])
    baselines = {"page": empty_page(), "process": min(after_start(None) for _ in range(3))}
    results = {
        brand: measure_brand(brand, urls[brand], pages, args.repeats, args.profile) for brand in brands
    }
    print_table(results, baselines)
    print(json.dumps({"baselines": baselines, "targets": TARGETS, "seconds": results}))


if __name__ == "__main__":
    main()
