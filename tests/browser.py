"""A headless Chromium for the browser tests (tests/test_admin_browser.py).

Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; other paths from ``WEAKREL_CHROMIUM`` and
``WEAKREL_CHROMEDRIVER``). ``scripts/test.sh`` and ``.ci/run`` install them when missing.

Each test saves screenshots under its own temporary directory
(``<pytest's basetemp>/<test>/screenshots/*.png``); with ``WEAKREL_SCREENSHOTS=<dir>``
they are copied there too (``scripts/screenshots.sh`` refreshes docs/images/ so).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WEAKREL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("WEAKREL_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1200, 820)
# How long a page or an element may take to appear.
WAIT = 10


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if missing:
        pytest.fail(
            f"The browser tests need {' and '.join(missing)}: "
            "apt-get install chromium chromium-driver (scripts/test.sh does), or deselect "
            "them with -m 'not browser'."
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(WAIT)
    return driver


class Screenshots:
    """Saves numbered screenshots of the page into the test's directory."""

    def __init__(self, driver, directory: Path):
        self.driver = driver
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.copy_to = os.environ.get("WEAKREL_SCREENSHOTS")

    def __call__(self, name: str) -> Path:
        path = self.directory / f"{name}.png"
        self.driver.save_screenshot(str(path))
        if self.copy_to:
            Path(self.copy_to).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(self.copy_to) / path.name)
        return path
