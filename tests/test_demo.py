"""The example project as a visitor meets it: the home page's links, one API root,
the schema UIs, the admin user seed_demo creates, the admin's inlines and filters."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    env = {
        **os.environ,
        "WEAKREL_DB": "sqlite",
        "WEAKREL_EXAMPLE_SQLITE_DIR": str(tmp_path_factory.mktemp("demo")),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.demo_driver"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_home_page_links_to_the_api_its_schema_the_admin_and_every_section(demo):
    assert demo["home"]["status"] == 200
    links = demo["home"]["links"]
    for link in ["/api/", "/api/schema/swagger-ui/", "/api/schema/redoc/", "/admin/"]:
        assert link in links
    assert {"#shop", "#clinic", "#blog"} <= set(links)
    assert all(status == 200 for status in demo["pages"].values()), demo["pages"]


def test_one_api_root_lists_every_endpoint(demo):
    assert demo["api_root"] == sorted(
        ["articles", "comments", "customers", "order-lines", "orders", "patients", "physicians"]
        + ["products", "profiles", "tags"]
    )


def test_seed_demo_creates_the_admin_user_and_prints_its_password(demo):
    assert "admin: user 'admin' created, password: " in demo["seed"]
    assert demo["login"] is True


def test_the_demo_admin_edits_orders_on_the_customer_page(demo):
    assert demo["customer_page"]["status"] == 200
    assert demo["customer_page"]["inline_prefixes"] == ["orders", "profile"]
    assert demo["order_page"]["has_line_title"], demo["order_page"]


def test_the_demo_admin_filters_orders_by_the_customers_country(demo):
    country = demo["country_filter"]
    assert country["status"] == 200
    assert country["rows"] == country["expected"] > 0
    assert country["customer_link"]
