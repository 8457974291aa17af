"""Helpers for the tests of the store's HTML pages: a browser-like `requests` session
logged in through the login form, the CSRF token of a page, and headless Chromium driven by
selenium (`chromium_driver` skips the test, with the reason, where Debian's chromium,
chromedriver or selenium are missing; CI installs them)."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

if TYPE_CHECKING:
    from simulator.store.server import StoreThread

__all__ = [
    "CHROMEDRIVER",
    "CHROMIUM",
    "WAIT",
    "chromium_driver",
    "csrf_token",
    "page_login",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
WAIT = 30.0  # upper bound for one page to load in the browser (not an assertion on time)
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF_FIELD.search(html)
    if found is None:
        raise AssertionError("no csrf_token field on the page")
    return found.group(1)


def page_login(store: StoreThread, email: str, password: str) -> requests.Session:
    """A browser-like session logged in through the login form (cookies only)."""
    session = requests.Session()
    form = session.get(f"{store.url}/login")
    answer = session.post(
        f"{store.url}/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(form.text)},
        allow_redirects=False,
    )
    if answer.status_code != 303:
        session.close()
        raise AssertionError(f"form login of {email}: {answer.status_code}")
    return session


def browser_or_skip() -> None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            pytest.skip(f"{path} not installed (apt-get install chromium chromium-driver)")
    pytest.importorskip("selenium", reason="selenium not installed (pip install selenium)")


@contextlib.contextmanager
def chromium_driver() -> Iterator[Any]:
    """A headless Chromium WebDriver with a throw-away profile (skips without a browser)."""
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="erpsim-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = None
    try:
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        driver.set_page_load_timeout(WAIT)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
