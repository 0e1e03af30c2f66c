"""Real-browser tests: a real ``variosync serve`` process and Debian's Chromium, headless,
driven by Playwright. Chromium comes from the distribution (``apt-get install chromium``; CI's
set-up installs it): a browser download is neither needed nor possible here. Screenshots of
every page go to ``$VARIOSYNC_ARTIFACTS/screenshots`` (default ``test-artifacts/``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.services import free_port, unavailable, wait_for_port

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("VARIOSYNC_ARTIFACTS", "test-artifacts")) / "screenshots"
PASSWORD = "a long passphrase"


def _env(home: Path) -> dict[str, str]:
    """The test process's environment without any VarioSync, database, Redis or Supabase
    setting of the developer's: the embedded default in a fresh home."""
    skip = ("VARIOSYNC_", "DATABASE", "REDIS", "SUPABASE", "PYTEST_")  # a production server
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env.update({"VARIOSYNC_HOME": str(home), "VARIOSYNC_SIGNUP_HOURS": "2"})
    return env


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served home folder (the CLI can manage its accounts)."""
    return tmp_path_factory.mktemp("e2e-home")


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[str]:
    """``variosync serve`` (REST API and dashboard) in its own process; its base URL."""
    log = home.parent / "serve.log"
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "variosync", "serve", "--port", str(port)],
            env=_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for_port(port, timeout=90), log.read_text()[-3000:]
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/healthz", timeout=30).status_code == 200
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium."""
    if not CHROMIUM.exists():
        unavailable("chromium", f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield found
        finally:
            found.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page; downloads accepted."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def register(server: str, email: str) -> None:
    """A built-in account, made through the REST API."""
    answer = httpx.post(
        server + "/api/v1/auth/register", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert answer.status_code == 201, answer.text


def screenshot(page: Page, name: str) -> None:
    """Keep what the page looks like now as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def make_admin(home: Path, email: str) -> None:
    """An administrator, made with the CLI (``variosync users create --admin``)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "variosync",
            "users",
            "create",
            email,
            "--admin",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        text=True,
        env=_env(home),
        check=True,
        capture_output=True,
    )
