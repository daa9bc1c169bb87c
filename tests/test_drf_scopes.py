"""Include scopes: ``P.limit``, ``P.ordering``, ``P.<filter>`` and ``count=P``."""

import pytest
from rest_framework.test import APIClient

from tests.queries import count_queries
from tests.shop.models import Customer, Order, OrderLine, Product

pytestmark = pytest.mark.django_db(databases="__all__")

AT = {"at": "2020-01-01T00:00Z"}


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def shop():
    """Three customers with 4, 2 and 0 orders (totals 10, 20, ...); two lines on the
    first order."""
    ada, bob, cy = Customer.objects.bulk_create(
        [Customer(name="Ada"), Customer(name="Bob"), Customer(name="Cy")]
    )
    orders = Order.objects.bulk_create(
        [Order(customer_id=ada.pk, total=t) for t in (10, 40, 20, 30)]
        + [Order(customer_id=bob.pk, total=t) for t in (5, 50)]
    )
    pen = Product.objects.create(name="Pen", sku="P1")
    OrderLine.objects.create(order=orders[0], product=pen, quantity=3)
    OrderLine.objects.create(order=orders[0], product=pen, quantity=1)
    return {"ada": ada, "bob": bob, "cy": cy, "orders": orders}


def totals(body):
    return {c["name"]: [o["total"] for o in c["orders"]] for c in body["results"]}


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json()


def test_limit_applies_per_parent(client, shop):
    body = get(client, "/customers/?include=orders&orders.limit=1")
    assert totals(body) == {"Ada": [10], "Bob": [5], "Cy": []}


def test_ordering_then_limit_gives_each_parents_top_rows(client, shop):
    body = get(client, "/customers/?include=orders&orders.ordering=-total&orders.limit=2")
    assert totals(body) == {"Ada": [40, 30], "Bob": [50, 5], "Cy": []}
    body = get(client, "/customers/?include=orders&orders.ordering=total,-id")
    assert totals(body)["Ada"] == [10, 20, 30, 40]


def test_filters_narrow_the_rows_not_the_parents(client, shop):
    body = get(client, "/customers/?include=orders&orders.total__gte=30")
    assert totals(body) == {"Ada": [40, 30], "Bob": [50], "Cy": []}


def test_nested_scope(client, shop):
    url = "/customers/?include=orders.lines&orders.limit=1&orders.lines.ordering=quantity"
    first = get(client, url)["results"][0]
    assert [line["quantity"] for line in first["orders"][0]["lines"]] == [1, 3]


def test_scope_on_a_to_one_relation_filters_it(client, shop):
    from tests.shop.models import Region

    north = Region.objects.create(name="North")
    Customer.objects.filter(pk=shop["ada"].pk).update(region_id=north.pk)
    body = get(client, f"/customers/{shop['ada'].pk}/?include=region&region.name=North")
    assert body["region"]["name"] == "North"
    body = get(client, f"/customers/{shop['ada'].pk}/?include=region&region.name=South")
    assert body["region"] is None


@pytest.mark.parametrize(
    "query, param, message",
    [
        ("include=orders&orders.limit=51", "orders.limit", "between 1 and 50"),
        ("include=orders&orders.limit=0", "orders.limit", "between 1 and 50"),
        ("include=orders&orders.limit=x", "orders.limit", "valid integer"),
        ("include=orders&orders.ordering=name", "orders.ordering", "allowed: total, id"),
        ("include=orders&orders.total__gte=abc", "orders.total__gte", "number"),
        ("include=orders&orders.colour=red", "orders.colour", "allows: limit, ordering, total"),
        ("orders.limit=2", "orders.limit", "add include=orders"),
        ("count=orders&orders.limit=2", "orders.limit", "needs 'orders' included"),
        ("include=profile&profile.bio=x", "profile.bio", "'profile' allows: (nothing)"),
        ("include=region&region.limit=1", "region.limit", "allows: name"),
    ],
)
def test_scope_errors_are_400_naming_the_parameter(client, shop, query, param, message):
    body = get(client, f"/customers/?{query}", status=400)
    assert list(body) == [param]
    assert message in body[param][0]


def test_undeclared_scope_allows_limit_only(client, shop):
    body = get(client, "/products/?include=lines&lines.ordering=id", status=400)
    assert body == {
        "lines.ordering": ["Unknown parameter 'lines.ordering'; 'lines' allows: limit."]
    }


def test_limit_default_maximum_is_the_setting(client, shop, settings):
    settings.WEAKREL = {"MAX_INCLUDE_LIMIT": 2}
    get(client, "/products/?include=lines&lines.limit=2")
    body = get(client, "/products/?include=lines&lines.limit=3", status=400)
    assert body == {"lines.limit": ["Ensure this value is between 1 and 2."]}


def test_unrelated_dotted_parameters_are_left_alone(client, shop):
    assert get(client, "/customers/?utm.source=x")["count"] == 3


# -- count= -----------------------------------------------------------------------------


def test_count(client, shop):
    body = get(client, "/customers/?count=orders")
    assert [(c["name"], c["orders_count"]) for c in body["results"]] == [
        ("Ada", 4),
        ("Bob", 2),
        ("Cy", 0),
    ]
    assert "orders" not in body["results"][0]


def test_count_honours_the_paths_filters(client, shop):
    body = get(client, "/customers/?count=orders&include=orders&orders.total__gte=30")
    assert [c["orders_count"] for c in body["results"]] == [2, 1, 0]
    assert totals(body) == {"Ada": [40, 30], "Bob": [50], "Cy": []}
    body = get(client, "/customers/?count=orders&orders.total__gte=30")
    assert [c["orders_count"] for c in body["results"]] == [2, 1, 0]


def test_count_nested_and_on_retrieve(client, shop):
    body = get(client, f"/customers/{shop['ada'].pk}/?include=orders&count=orders,orders.lines")
    assert body["orders_count"] == 4
    assert [o["lines_count"] for o in body["orders"]] == [2, 0, 0, 0]


@pytest.mark.parametrize(
    "query, message",
    [
        ("count=profile", "Cannot count 'profile'; countable on Customer: orders."),
        ("count=region", "Cannot count 'region'; countable on Customer: orders."),
        ("count=orders.lines", "'orders' is not included; add include=orders"),
        ("count=", None),
    ],
)
def test_count_errors(client, shop, query, message):
    if message is None:  # an empty parameter asks for nothing
        assert "orders_count" not in get(client, f"/customers/?{query}")["results"][0]
        return
    body = get(client, f"/customers/?{query}", status=400)
    assert message in body["count"][0]


@pytest.mark.parametrize(
    "url, field, expected",
    [
        ("/clinic-physicians/?count=patients", "patients_count", [2, 1]),
        ("/articles/?count=tags", "tags_count", [2, 1]),
        ("/tags/?count=articles", "articles_count", [2, 1]),
    ],
)
def test_count_every_relation_kind(client, url, field, expected):
    from tests.blog.models import Article, Tag
    from tests.clinic.models import Patient, Physician

    ann, ben = Physician.objects.create(name="Ann"), Physician.objects.create(name="Ben")
    p1, p2 = Patient.objects.create(name="P1"), Patient.objects.create(name="P2")
    ann.patients.add(p1, p2, through_defaults=AT)
    ben.patients.add(p1, through_defaults=AT)
    t1, t2 = Tag.objects.create(name="t1"), Tag.objects.create(name="t2")
    Article.objects.create(title="a", tags=[t1.pk, t2.pk])
    Article.objects.create(title="b", tags=[t1.pk])
    assert [row[field] for row in get(client, url)["results"]] == expected


def test_limit_and_ordering_on_many_to_many_and_key_lists(client):
    from tests.blog.models import Article, Tag
    from tests.clinic.models import Patient, Physician

    ann = Physician.objects.create(name="Ann")
    for name in ("Cleo", "Abe", "Bo"):
        ann.patients.add(Patient.objects.create(name=name), through_defaults=AT)
    url = "/clinic-physicians/?include=patients&patients.ordering=-name&patients.limit=2"
    assert [p["name"] for p in get(client, url)["results"][0]["patients"]] == ["Cleo", "Bo"]
    tags = [Tag.objects.create(name=n) for n in ("z", "x", "y")]
    Article.objects.create(title="a", tags=[t.pk for t in tags])
    url = "/articles/?include=tags&tags.ordering=name&tags.limit=2"
    assert [t["name"] for t in get(client, url)["results"][0]["tags"]] == ["x", "y"]


# -- query budget ---------------------------------------------------------------------------


def many_customers(n):
    customers = Customer.objects.bulk_create([Customer(name=f"c{i}") for i in range(n)])
    Order.objects.bulk_create(
        [Order(customer_id=c.pk, total=t) for c in customers for t in (1, 2, 3)]
    )


BASE = "include=orders"
SCOPED = "include=orders&orders.limit=2&orders.ordering=-total&orders.total__gte=2"


@pytest.mark.parametrize("size", [1, 10, 500])
@pytest.mark.parametrize(
    "query, default, orders",
    [
        (BASE, 2, 1),  # customers: count + page; orders: one query
        (SCOPED, 2, 1),  # limits, orderings and filters add no query
        (SCOPED + "&count=orders", 2, 2),  # each count= adds one
        (SCOPED + "&count=orders&fields=id,orders.total", 2, 2),
    ],
)
def test_query_budget_does_not_change_with_page_size(
    client, size, query, default, orders, django_assert_num_queries
):
    many_customers(500)
    with django_assert_num_queries(default, using="default"):
        with django_assert_num_queries(orders, using="orders"):
            body = get(client, f"/customers/?page_size={size}&{query}")
    assert len(body["results"]) == size
    if "limit" in query:
        assert all([o["total"] for o in c["orders"]] == [3, 2] for c in body["results"])
    if "count" in query:
        assert {c["orders_count"] for c in body["results"]} == {2}


def test_count_of_a_many_to_many_costs_one_query_per_level(client):
    from tests.clinic.models import Patient, Physician

    for i in range(5):
        physician = Physician.objects.create(name=f"d{i}")
        physician.patients.add(Patient.objects.create(name=f"p{i}"), through_defaults=AT)
    with count_queries() as plain:
        get(client, "/clinic-physicians/")
    with count_queries() as counted:
        body = get(client, "/clinic-physicians/?count=patients")
    assert [row["patients_count"] for row in body["results"]] == [1] * 5
    added = {alias: counted[alias] - plain[alias] for alias in counted}
    # The through rows (orders) and the patients they link (third), once for all.
    assert added == {"default": 0, "orders": 1, "third": 1}
