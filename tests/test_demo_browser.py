"""The demo in a real browser (headless Chromium): the example project served by
``runserver`` (tests/demo_server.py), from its home page to the API root, the schema
UIs, the admin and each section. Screenshots: see tests/browser.py."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import Screenshots, start_browser

pytestmark = [
    pytest.mark.browser,
    # The demo runs on SQLite files of its own whatever the pair: once is enough.
    pytest.mark.skipif(
        os.environ.get("WEAKREL_DB", "sqlite") != "sqlite", reason="the demo runs on SQLite"
    ),
]

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ["articles", "customers", "order-lines", "orders", "patients", "physicians"]
ENDPOINTS += ["products", "profiles", "tags"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(the demo's URL, the admin's password), served until the module ends."""
    port = free_port()
    directory = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "WEAKREL_DB": "sqlite",
        "WEAKREL_EXAMPLE_SQLITE_DIR": str(directory),
        "PYTHONUNBUFFERED": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.demo_server", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(directory / "server.log").open("w"),  # runserver's request log
        text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("password: "), line
        deadline = time.monotonic() + 30
        while True:  # until runserver listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", line.split()[1]
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def browser(demo, tmp_path):
    driver = start_browser()
    driver.shot = Screenshots(driver, tmp_path / "screenshots")
    yield driver
    driver.quit()


def follow(browser, text):
    """Go back to the home page and click its link ``text``."""
    from selenium.webdriver.common.by import By

    browser.back()
    browser.find_element(By.LINK_TEXT, text).click()


def test_the_demo_from_its_home_page(demo, browser):
    from selenium.webdriver.common.by import By

    url, password = demo
    browser.get(url + "/")
    browser.shot("demo-home")
    assert browser.find_element(By.TAG_NAME, "h1").text == "weakrel example shop"
    # Order lines show product names (the seeded products are in "default", the lines
    # in "orders").
    lines = browser.find_elements(By.CSS_SELECTOR, "#shop ~ .customer li")
    assert lines and all(" × " in line.text and "(" in line.text for line in lines)
    assert not any(line.text.split(" × ")[1][0].isdigit() for line in lines)
    for section in ("Clinic", "Blog"):
        browser.find_element(By.LINK_TEXT, section).click()
        assert browser.current_url.endswith(f"#{section.lower()}")
        heading = browser.find_element(By.ID, section.lower())
        assert heading.text == section and heading.is_displayed()
        items = browser.find_elements(
            By.XPATH, f"//h2[@id='{section.lower()}']/following-sibling::ul[1]/li"
        )
        assert items and "No " not in items[0].text
    browser.shot("demo-sections")

    browser.find_element(By.PARTIAL_LINK_TEXT, "REST API").click()
    body = browser.find_element(By.CSS_SELECTOR, ".response-info").text
    for endpoint in ENDPOINTS:
        assert f'"{endpoint}": "{url}/api/{endpoint}/"' in body
    browser.shot("demo-api-root")

    follow(browser, "API schema: Swagger UI")
    # Served by drf-spectacular-sidecar: the UI renders offline, from the schema.
    title = browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title")
    assert "OAS 3" in title.text
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")
    tags = {
        tag.get_attribute("data-tag")
        for tag in browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")
    }
    assert {"orders", "customers", "tags"} <= tags
    browser.shot("demo-swagger-ui")
    # Redoc renders the same schema (its page is checked by tests/test_demo.py).

    follow(browser, "Admin")
    browser.find_element(By.ID, "id_username").send_keys("admin")
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert browser.find_element(By.ID, "user-tools").text.startswith("WELCOME, ADMIN")
    browser.shot("demo-admin")
    # An order's lines, inline on its page, are titled with their products' names.
    browser.get(url + "/admin/shop/order/")
    browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr th a").click()
    titles = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "#lines-group td.original p")]
    assert titles and all(" x " in title for title in titles)
    assert not any(title.split(" x ")[1][0].isdigit() for title in titles)
    browser.shot("demo-admin-order")
