"""The running dashboard in a real browser, as a person sees it.

Builds the demo brand into a temporary SQLite file, starts ``streamlit run app.py`` on a free local port
and opens every page in Chromium (Playwright for Python driving Debian's ``/usr/bin/chromium``; no
browser is downloaded). Each page must render its title without an error, and a full-page screenshot of
it is saved as ``screenshots/<page>.png`` under the repository root (ignored by git) to look at.

Without Chromium or the ``playwright`` package the tests are skipped with the reason;
``CX_REQUIRE_BROWSER=1`` (set by CI) makes that a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("CX_REQUIRE_BROWSER") == "1"
VIEWPORT = {"width": 1400, "height": 900}
RENDER_TIMEOUT_MS = 30_000
ERROR_BOX = "[data-testid='stException']"
DATABASES: dict[str, str] = {}  # base URL of a running dashboard -> its database URL


def browser_unavailable_reason() -> str | None:
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (on Debian: apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = browser_unavailable_reason()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}; CX_REQUIRE_BROWSER=1 makes this a failure")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


def sign_in_as_demo_user(page, app_url: str, label: str) -> None:
    """Sign in on the demo brand's picker as the demo user whose label starts with ``label``
    (e.g. ``Demo administrator``), then wait for the executive summary."""
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in as this demo user").wait_for(timeout=RENDER_TIMEOUT_MS)
    picker = page.locator("input[aria-label='Sign in as a demo user']")
    picker.click()
    page.get_by_role("option", name=label).first.click()
    page.get_by_role("button", name="Sign in as this demo user").click()
    wait_until_rendered(page, "Executive summary")


@pytest.fixture(scope="module")
def signed_in(browser, app_url):
    """A browser context signed in as the demo administrator: its pages share the session cookie."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in_as_demo_user(page, app_url, "Demo administrator")
    page.close()
    yield context
    context.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(server: subprocess.Popen, base_url: str, log: Path, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with code {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"no answer from {base_url}/_stcore/health in {timeout:.0f} s:\n{log.read_text(errors='replace')}"
    )


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """Base URL of the dashboard running on the demo brand; the server is stopped afterwards."""
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{folder / 'cx.db'}"
    env = {**os.environ, "CX_DATABASE_URL": database_url, "CX_REPORTS_DIR": str(folder / "reports")}
    demo = subprocess.run(
        [sys.executable, "-m", "cx", "demo", "--db", database_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert demo.returncode == 0, f"python -m cx demo failed:\n{demo.stdout}\n{demo.stderr}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = folder / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(server, base_url, log)
        DATABASES[base_url] = database_url
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def wait_until_rendered(page, title: str) -> None:
    """The title is in an h1 (or an error box is shown), the script has finished and every chart is drawn."""
    page.locator("h1", has_text=title).or_(page.locator(ERROR_BOX)).first.wait_for(timeout=RENDER_TIMEOUT_MS)
    for selector, state in (
        ("[data-testid='stApp'][data-test-script-state='notRunning']", "attached"),
        ("[data-testid='stStatusWidgetRunningIcon']", "detached"),
        ("[data-testid='stSkeleton']", "detached"),
    ):
        page.wait_for_selector(selector, state=state, timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
                 .every(chart => chart.querySelector("canvas, svg"))""",
        timeout=RENDER_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)  # the last paint of charts and tables


def save_full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main block, not the document: grow the viewport to show all of it."""
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
                          ...[...document.querySelectorAll("[data-testid='stMain'], [data-testid='stSidebar']")]
                             .map(element => element.scrollHeight))"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.wait_for_timeout(200)
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def check_methods_contents(page) -> None:
    """One tab per section of the glossary; a tab opens its section (named in the URL), typeset."""
    tabs = [tab.strip() for tab in page.get_by_role("tab").all_inner_texts()]
    assert tabs[0] == "Scales and data" and "NPS" in tabs and tabs[-1] == "References", tabs
    assert page.locator("h2[id='scales-and-data']").count() == 1
    page.get_by_role("tab", name="NPS", exact=True).click()
    page.locator("h2[id='nps']").wait_for(timeout=RENDER_TIMEOUT_MS)
    # the rerun replaces the open section: the first section's heading goes (a timeout fails the test)
    page.locator("h2[id='scales-and-data']").wait_for(state="detached", timeout=RENDER_TIMEOUT_MS)
    assert "section=NPS" in page.url
    assert page.locator(".katex").count() > 10, "the formulas are typeset"


ROOT_CAUSE_STEPS = ("1. What happened", "2. When and for how long", "3. Where", "4. Who noticed", "5. Why",
                    "6. How customers reacted", "7. Did it change after an action")  # fmt: skip


def check_root_cause_steps(page) -> None:
    """The seven questions are there, in order, and the timeline and the ranking are drawn."""
    headings = page.locator("h3").all_inner_texts()
    assert [h.strip() for h in headings if h.strip()[:1].isdigit()] == list(ROOT_CAUSE_STEPS)
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 3


# (screenshot name, URL path st.navigation derives from the file name, title in the h1, extra check)
PAGES = [
    ("summary", "/", "Executive summary", None),
    ("compare", "/compare", "Compare locations", None),
    ("touchpoints", "/touchpoints", "Touchpoints & journey", None),
    ("root_cause", "/root_cause", "Root cause", check_root_cause_steps),
    ("root_cause_st007", "/root_cause?store=ST007", "Root cause", check_root_cause_steps),
    (
        "root_cause_st007_delivery",
        "/root_cause?store=ST007&touchpoint=Delivery&term=late",
        "Root cause",
        check_root_cause_steps,
    ),
    ("goals", "/goals", "Goals", None),
    ("data", "/data", "Data", None),
    ("methods", "/methods", "Methods", check_methods_contents),
]


@pytest.mark.parametrize(("name", "path", "title", "extra_check"), PAGES, ids=[page[0] for page in PAGES])
def test_page_renders_in_the_browser(signed_in, app_url, name, path, title, extra_check):
    page = signed_in.new_page()
    try:
        page.goto(f"{app_url}{path}", wait_until="domcontentloaded")
        try:
            wait_until_rendered(page, title)
        finally:
            save_full_page_screenshot(page, SCREENSHOTS / f"{name}.png")
        errors = page.locator(ERROR_BOX).all_inner_texts()
        assert errors == [], f"{name}: the page shows an exception:\n" + "\n".join(errors)
        assert "Traceback" not in page.locator("body").inner_text()
        assert page.locator("h1", has_text=title).count() >= 1
        if extra_check:
            extra_check(page)
    finally:
        page.close()


def test_a_customer_of_st007_across_stores_and_sources(signed_in, app_url):
    """The Customers page opened on the ST007 customer with the most linked records: their tiles and
    timeline render (screenshot ``customers.png``), and the address holds their id."""
    from sqlalchemy import text

    from cx.config import make_engine

    engine = make_engine(DATABASES[app_url])
    with engine.connect() as connection:
        customer = connection.execute(text(
            "SELECT l.customer_id FROM customer_link l JOIN nps_response r ON r.response_id = l.record_id "
            "WHERE l.source = 'nps' AND l.status = 'linked' AND r.store_id = 'ST007' AND r.score <= 6 "
            "GROUP BY l.customer_id ORDER BY (SELECT COUNT(*) FROM customer_link c WHERE c.customer_id = "
            "l.customer_id) DESC, l.customer_id LIMIT 1"
        )).scalar_one()  # fmt: skip
    engine.dispose()
    page = signed_in.new_page()
    try:
        page.goto(f"{app_url}/customers?customer={customer}", wait_until="domcontentloaded")
        wait_until_rendered(page, "Customers")
        save_full_page_screenshot(page, SCREENSHOTS / "customers.png")
        assert page.locator(ERROR_BOX).count() == 0
        body = page.locator("body").inner_text()
        assert customer in body and "Journey stage" in body and "Detractors who have not come back" in body
        assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1
        assert f"customer={customer}" in page.url
    finally:
        page.close()


def test_investigate_link_from_compare_opens_that_store(signed_in, app_url):
    """A real click on an "Investigate" link: the sidebar (still holding "All stores" from the compare page)
    follows the link's store, and the investigation is of that store."""
    page = signed_in.new_page()
    try:
        page.goto(f"{app_url}/compare", wait_until="domcontentloaded")
        wait_until_rendered(page, "Compare locations")
        link = page.locator("[data-testid='stPageLink'] a", has_text="Investigate ST").first
        store = link.inner_text().split("Investigate ", 1)[1].split()[0]
        link.click()
        wait_until_rendered(page, "Root cause")
        page.get_by_text(f"At store {store},").first.wait_for(timeout=RENDER_TIMEOUT_MS)
        assert f"store={store}" in page.url
        chosen = page.locator("[data-testid='stSidebar'] input[aria-label='Store']").input_value()
        assert chosen.startswith(f"{store} · "), chosen
    finally:
        page.close()


def test_drilling_down_puts_the_step_in_the_address_bar(signed_in, app_url):
    """A drill-down button changes the URL; opening that URL again (signed in) shows the same store."""
    page = signed_in.new_page()
    again = signed_in.new_page()
    try:
        page.goto(f"{app_url}/root_cause", wait_until="domcontentloaded")
        wait_until_rendered(page, "Root cause")
        button = page.get_by_role("button", name="Investigate store").first
        store = button.inner_text().split("Investigate store ", 1)[1].strip()
        button.click()
        page.get_by_text(f"At store {store},").first.wait_for(timeout=RENDER_TIMEOUT_MS)
        page.wait_for_function(
            f"() => window.location.search.includes('store={store}')", timeout=RENDER_TIMEOUT_MS
        )
        again.goto(page.url, wait_until="domcontentloaded")
        wait_until_rendered(again, "Root cause")
        again.get_by_text(f"At store {store},").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    finally:
        page.close()
        again.close()


def test_a_regional_manager_sees_only_their_region_and_stays_signed_in(browser, app_url):
    """gulf@demo in Chromium: every page names only Gulf stores, a reload keeps the sign-in (the session
    cookie), an address naming another region shows the refusal and no data, and signing out ends it."""
    from cx.config import make_engine
    from cx.store.queries import store_directory

    directory = store_directory(make_engine(DATABASES[app_url]))
    outside = directory.loc[directory["region"] != "Gulf"]
    forbidden = re.compile(
        r"\b(" + "|".join(map(re.escape, [*outside["store_id"], *outside["region"].unique()])) + r")\b"
    )
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in as this demo user").wait_for(timeout=RENDER_TIMEOUT_MS)
        save_full_page_screenshot(page, SCREENSHOTS / "sign-in.png")
        sign_in_as_demo_user(page, app_url, "Demo manager, Gulf")
        for name, path, title, _ in PAGES:
            page.goto(f"{app_url}{path}", wait_until="domcontentloaded")
            wait_until_rendered(page, title)
            if name in ("summary", "compare"):
                save_full_page_screenshot(page, SCREENSHOTS / f"gulf-{name}.png")
            text = page.locator("body").inner_text()
            assert "Signed in as" in text, f"{name}: signed out by the page load"
            leaked = sorted(set(forbidden.findall(text)))
            assert not leaked, f"{name}: shows {leaked}, outside the Gulf grant"
        other = outside["region"].iloc[0]
        page.goto(f"{app_url}/compare?region={other}", wait_until="domcontentloaded")
        page.get_by_text("This address names a region that is not among").wait_for(timeout=RENDER_TIMEOUT_MS)
        assert not forbidden.findall(page.locator("body").inner_text())
        page.goto(app_url, wait_until="domcontentloaded")
        wait_until_rendered(page, "Executive summary")
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in as this demo user").wait_for(timeout=RENDER_TIMEOUT_MS)
        page.reload(wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in as this demo user").wait_for(timeout=RENDER_TIMEOUT_MS)
    finally:
        context.close()
