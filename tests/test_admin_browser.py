"""The admin in a real browser (headless Chromium, after Django's own admin tests):
a customer's orders edited inline across databases, the change list's links, a
PROTECTed delete. Screenshots: see tests/browser.py."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from tests.blog.models import Article, Tag
from tests.browser import Screenshots, start_browser
from tests.shop.models import Customer, Order, OrderLine, Product, Region

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.usefixtures("admin_urls"),
]


@pytest.fixture(scope="module")
def driver():
    driver = start_browser()
    yield driver
    driver.quit()


@pytest.fixture
def browser(driver, live_server, tmp_path):
    """The browser, logged in to the admin of tests/admin_urls.py as a superuser."""
    from selenium.webdriver.common.by import By

    get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    driver.delete_all_cookies()
    driver.url = lambda path: f"{live_server.url}{path}"
    driver.shot = Screenshots(driver, tmp_path / "screenshots")
    driver.get(driver.url("/admin/login/?next=/admin/"))
    driver.find_element(By.ID, "id_username").send_keys("admin")
    driver.find_element(By.ID, "id_password").send_keys("pw")
    driver.shot("admin-login")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert driver.find_element(By.ID, "user-tools").text.startswith("WELCOME, ADMIN")
    return driver


def orders_in_the_orders_database(customer):
    """(total, customer_id) of the orders, read with SQL from database "orders"."""
    with connections["orders"].cursor() as cursor:
        cursor.execute("SELECT total, customer_id FROM shop_order ORDER BY total")
        return [tuple(row) for row in cursor.fetchall()]


def test_a_customers_orders_edited_inline(browser):
    from selenium.webdriver.common.by import By

    ada = Customer.objects.create(name="Ada Lovelace")
    kept = Order.objects.create(customer=ada, total=10)
    Order.objects.create(customer=ada, total=20)
    browser.get(browser.url(f"/admin/shop/customer/{ada.pk}/change/"))
    assert browser.find_element(By.CSS_SELECTOR, "#orders-group h2").text == "ORDERS"

    total = browser.find_element(By.ID, "id_orders-0-total")
    total.clear()
    total.send_keys("15")
    browser.find_element(By.ID, "id_orders-1-DELETE").click()
    browser.find_element(By.CSS_SELECTOR, "#orders-group .add-row a").click()
    new = browser.find_element(By.ID, "id_orders-2-total")
    new.clear()
    new.send_keys("30")
    browser.shot("admin-customer-orders-inline")
    browser.find_element(By.NAME, "_save").click()

    message = browser.find_element(By.CSS_SELECTOR, ".messagelist .success").text
    assert "was changed successfully" in message
    assert orders_in_the_orders_database(ada) == [(15, ada.pk), (30, ada.pk)]
    assert Order.objects.get(total=15).pk == kept.pk


def test_a_tags_articles_edited_inline(browser):
    """ReferencesMany: the articles (default) whose tags list holds the tag (orders)."""
    from selenium.webdriver.common.by import By

    django, python = Tag.objects.create(name="django"), Tag.objects.create(name="python")
    kept = Article.objects.create(title="Weak keys", tags=[python, django])
    untagged = Article.objects.create(title="Routers", tags=[django, python])
    browser.get(browser.url(f"/admin/blog/tag/{django.pk}/change/"))
    title = browser.find_element(By.ID, "id_articles-0-title")
    title.clear()
    title.send_keys("Weak keys, again")
    browser.find_element(By.ID, "id_articles-1-DELETE").click()
    browser.find_element(By.CSS_SELECTOR, "#articles-group .add-row a").click()
    browser.find_element(By.ID, "id_articles-2-title").send_keys("Inlines")
    browser.shot("admin-tag-articles-inline")
    browser.find_element(By.NAME, "_save").click()

    message = browser.find_element(By.CSS_SELECTOR, ".messagelist .success").text
    assert "was changed successfully" in message
    rows = Article.objects.order_by("pk").values_list("pk", "title", "tags_ids")
    new = Article.objects.get(title="Inlines")
    assert list(rows) == [
        (kept.pk, "Weak keys, again", [python.pk, django.pk]),
        (untagged.pk, "Routers", [python.pk]),  # the tag left its list
        (new.pk, "Inlines", [django.pk]),
    ]


def test_the_change_list_links_to_the_customer(browser):
    from selenium.webdriver.common.by import By

    north = Region.objects.create(name="North")
    ada = Customer.objects.create(name="Ada Lovelace", region=north)
    grace = Customer.objects.create(name="Grace Hopper")
    gone = Customer.objects.create(name="Gone")
    for customer, total in [(ada, 12), (grace, 7), (ada, 30), (gone, 5)]:
        Order.objects.create(customer=customer, total=total)
    Customer.objects.filter(pk=gone.pk)._raw_delete("default")  # a dangling key
    browser.get(browser.url("/admin/shop/order/?o=-1"))
    missing = browser.find_element(By.CSS_SELECTOR, "td.field-customer .weakrel-missing")
    assert missing.text == f"{gone.pk} (missing)"
    browser.shot("admin-order-changelist")

    links = browser.find_elements(By.CSS_SELECTOR, "#result_list td.field-customer a")
    assert [a.text for a in links] == ["Ada Lovelace", "Grace Hopper", "Ada Lovelace"]
    links[1].click()
    assert browser.current_url.endswith(f"/admin/shop/customer/{grace.pk}/change/")
    assert browser.find_element(By.ID, "id_name").get_attribute("value") == "Grace Hopper"

    browser.get(browser.url(f"/admin/shop/order/?customer_id__exact={ada.pk}"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2
    browser.shot("admin-order-changelist-filtered")


def test_a_protected_delete_shows_cannot_delete(browser):
    from selenium.webdriver.common.by import By

    pen = Product.objects.create(name="Pen", sku="P-1")
    order = Order.objects.create(customer=Customer.objects.create(name="Ada"), total=3)
    OrderLine.objects.create(order=order, product=pen)
    browser.get(browser.url(f"/admin/shop/product/{pen.pk}/change/"))
    browser.find_element(By.CSS_SELECTOR, "a.deletelink").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Cannot delete product"
    content = browser.find_element(By.ID, "content").text
    assert "would require deleting the following protected related objects" in content
    browser.shot("admin-protected-delete")
    assert Product.objects.filter(pk=pen.pk).exists()
