"""Single sign-on in a real browser, against a real (local) OpenID Connect provider.

``oidc-provider-mock`` runs in a thread of this process on a free port: it accepts any client id and
secret, and its authorization form asks for the subject; the claims it vouches for (a verified e-mail,
groups) are set beforehand through its ``PUT /users/<subject>``. A Streamlit app runs with
``streamlit run`` and a ``secrets.toml`` whose ``[auth]`` points ``st.login`` at that provider, and
Chromium clicks through: sign in, read who the app says signed in, sign out.

The app is the dashboard itself on the demo brand (whose users include ``gulf@demo``, a regional
manager of Gulf); the fixture ``sso_app`` yields ``(base_url, sign_in)``. Screenshots go to
``screenshots/sso_*.png``. Skipped like ``tests/test_browser.py`` without Chromium or Playwright.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import test_browser
from tests.test_browser import (
    RENDER_TIMEOUT_MS,
    ROOT,
    SCREENSHOTS,
    VIEWPORT,
    free_port,
    save_full_page_screenshot,
    wait_until_healthy,
)

# the provider mock still calls Authlib's older server API (Authlib's own deprecation warnings cannot be
# filtered: importing Authlib puts an "always" filter for them first)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.oidc.core.grants")
browser = test_browser.browser  # the Chromium fixture of the page tests
SIGN_IN_BUTTON = "Sign in with single sign-on"
IDENTITY_COOKIE = "_streamlit_user"  # st.login's signed cookie: the provider's claims, kept 30 days
NOT_LOCAL = re.compile(r"^https?://(?!localhost[:/])")  # the provider's page asks a CDN for its style


@pytest.fixture(scope="module")
def provider_url():
    """Base URL of a local OpenID provider that accepts any client."""
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def write_secrets(path: Path, *, app_port: int, provider_url: str) -> Path:
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        'cookie_secret = "a cookie secret for the single sign-on test only"\n'
        'client_id = "cx-dashboard"\n'
        'client_secret = "any secret: the mock provider takes every client"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
    )
    return path


@pytest.fixture(scope="module")
def sso_app(browser, provider_url, tmp_path_factory):
    """``(base_url, sign_in)``: the app running behind single sign-on with the local provider, and
    ``sign_in(page, email, **claims)``, which signs ``page`` in at the provider as a person with that
    verified e-mail (and ``claims``, such as ``groups``) and returns once the app is back."""
    folder = tmp_path_factory.mktemp("sso")
    database_url = f"sqlite:///{folder / 'cx.db'}"
    env = {**os.environ, "CX_DATABASE_URL": database_url, "CX_REPORTS_DIR": str(folder / "reports")}
    demo = subprocess.run([sys.executable, "-m", "cx", "demo", "--db", database_url], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    base_url = f"http://localhost:{port}"  # the host of redirect_uri, so the cookies reach the callback
    secrets = write_secrets(folder / "secrets.toml", app_port=port, provider_url=provider_url)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--secrets.files", str(secrets),
    ]  # fmt: skip
    log = folder / "streamlit.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def sign_in(page, email: str, **claims) -> None:
        subject = f"person-{email}"  # not the e-mail: the app must go by the e-mail claim
        request = urllib.request.Request(
            f"{provider_url}/users/{quote(subject)}",
            data=json.dumps({"email": email, "email_verified": True, **claims}).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204
        page.route(NOT_LOCAL, lambda route: route.abort())
        page.goto(base_url, wait_until="domcontentloaded")
        page.get_by_role("button", name=SIGN_IN_BUTTON).click(timeout=RENDER_TIMEOUT_MS)
        page.wait_for_url(f"{provider_url}/oauth2/authorize?*", timeout=RENDER_TIMEOUT_MS)
        page.get_by_placeholder("sub").fill(subject)
        form = SCREENSHOTS / f"sso_provider_form_{email.split('@')[0].lower()}.png"
        save_full_page_screenshot(page, form)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{base_url}/**", timeout=RENDER_TIMEOUT_MS)

    try:
        wait_until_healthy(server, base_url, log)
        yield base_url, sign_in
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_a_regional_manager_signs_in_at_the_provider_sees_only_gulf_and_signs_out(browser, sso_app):
    """The provider's verified e-mail (any case) is the demo brand's Gulf manager: the dashboard signs
    them in with their role and grant, shows only Gulf's stores, and signing out ends both sessions."""
    base_url, sign_in = sso_app
    page = browser.new_page(viewport=VIEWPORT)
    try:
        sign_in(page, "Gulf@Demo", groups=["cx-gulf"])
        test_browser.wait_until_rendered(page, "Executive summary")
        save_full_page_screenshot(page, SCREENSHOTS / "sso_signed_in.png")
        text = " ".join(page.locator("body").inner_text().replace("\u2060", "").split())  # no word joiners
        assert "Signed in as Demo manager, Gulf (gulf@demo), regional manager" in text, text
        assert "Your 11 stores" in text
        page.goto(f"{base_url}/compare", wait_until="domcontentloaded")
        test_browser.wait_until_rendered(page, "Compare locations")
        text = page.locator("body").inner_text()
        assert not re.search(r"\bST0(1[2-9]|[2-9]\d)\b", text), "a store outside Gulf"
        [cookie] = [cookie for cookie in page.context.cookies(base_url) if cookie["name"] == IDENTITY_COOKIE]
        days_left = (cookie["expires"] - time.time()) / 86_400
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and 29.9 < days_left <= 30, cookie
        page.get_by_role("button", name="Sign out").click()
        # the provider offers to end its session too, then sends the browser back to the app
        page.get_by_role("button", name="End session").click(timeout=RENDER_TIMEOUT_MS)
        page.get_by_role("button", name=SIGN_IN_BUTTON).wait_for(timeout=RENDER_TIMEOUT_MS)
        assert page.url.startswith(base_url)
        assert IDENTITY_COOKIE not in {cookie["name"] for cookie in page.context.cookies(base_url)}
        page.goto(base_url, wait_until="domcontentloaded")  # a new session is signed out too
        page.get_by_role("button", name=SIGN_IN_BUTTON).wait_for(timeout=RENDER_TIMEOUT_MS)
    finally:
        page.close()


def test_a_person_the_dashboard_does_not_know_is_refused(browser, sso_app):
    _, sign_in = sso_app
    page = browser.new_page(viewport=VIEWPORT)
    try:
        sign_in(page, "stranger@example.com")
        page.get_by_text("is not a user of this dashboard").wait_for(timeout=RENDER_TIMEOUT_MS)
        assert page.get_by_role("heading", name="Sign in").count() == 1
        assert "Executive summary" not in page.locator("body").inner_text()
    finally:
        page.close()


def test_an_identity_whose_email_the_provider_has_not_verified_is_refused(browser, sso_app):
    _, sign_in = sso_app
    page = browser.new_page(viewport=VIEWPORT)
    try:
        sign_in(page, "new@demo", email_verified=False)
        page.get_by_text("The identity provider has not verified new@").wait_for(timeout=RENDER_TIMEOUT_MS)
    finally:
        page.close()
