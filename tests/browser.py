"""A real browser for the web tests: Debian's chromium, driven through chromium-driver by Selenium.

Outside CI, tests that need it skip when it is not installed (saying how to install it);
CI installs it (.ci/run) and never skips them.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from bot.web.server import serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver"


def need_browser() -> None:
    if CHROMIUM and DRIVER:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests, but chromium or chromedriver is missing: {INSTALL}")
    pytest.skip(f"needs Debian's chromium and chromium-driver: {INSTALL}")


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app behind the same HTTP server `partnerbot web` runs; yields its address."""
    server = serve(app.wsgi_app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def browser(width: int = 1280, height: int = 900) -> Iterator[WebDriver]:
    need_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: WebDriver, name: str) -> None:
    """Save a full-page screenshot in PARTNERBOT_SCREENSHOTS (the README's come from here)."""
    folder = os.environ.get("PARTNERBOT_SCREENSHOTS")
    if not folder:
        return
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.execute_script("return window.innerWidth")
    driver.set_window_size(width, height + 100)
    Path(folder).mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(Path(folder) / name))
