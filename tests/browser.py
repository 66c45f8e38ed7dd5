"""A real browser for the tests that claim what staff and integrators see: headless Chromium via Selenium.

The `browser` fixture reaches a test package through its conftest (`from tests.browser import browser`). The browser
asks for English (`en-US`), so a page shown in Portuguese is Portuguese because the project chose it.
The tests skip, saying why, when Chromium or chromedriver is missing on a developer's machine; in CI
(`CI=true`, where `.ci/run` installs them) a missing browser fails the run instead.
"""

import os
import shutil
import time
from collections.abc import Callable

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1400, 1000)  # the width staff reported columns cut at


def _binaries() -> tuple[str | None, str | None]:
    chromium = next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)
    return chromium, shutil.which("chromedriver")


@pytest.fixture(scope="session")
def browser():
    chromium, chromedriver = _binaries()
    if not (chromium and chromedriver):
        reason = "the browser tests need Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; .ci/run installs them, so CI must have them")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-US",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0):
    """Poll `condition` until it returns something truthy (returned), else fail saying what never happened."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # the element may not exist yet
            last_error = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} ({last_error!r})")


def admin_login(browser, base_url: str, username: str, password: str) -> None:
    """Log in through the admin's login form, as staff do."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(f"{base_url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(lambda: browser.find_elements(By.ID, "site-name") and "/admin/login/" not in browser.current_url, "login")


def screenshot(browser, name: str) -> None:
    """With SCREENSHOT_DIR set (see the README), save the current page as `<name>.png` there."""
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        browser.save_screenshot(os.path.join(directory, f"{name}.png"))
