"""A WeakGenericForeignKey over DRF (tests/api/generic.py): ``?include=target`` with
each type's serializer, the writable ``{"type", "id"}`` pair, ``?include=comments``
on the targets and ``/commented-articles/{pk}/comments/``.

Comment lives in orders; its targets are Articles (default) and Products (third).
"""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from tests.api.generic import CommentSerializer
from tests.api.serializers import ArticleSerializer, ProductSerializer
from tests.blog.models import Article, Comment, Like
from tests.queries import count_queries
from tests.shop.models import Product
from weakrel.rest_framework.include import parse_include, resolve_includes

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def rows():
    article = Article.objects.create(title="Apples")
    product = Product.objects.create(name="Pear", sku="p1")
    secret = Product.objects.create(name="Plum", sku="secret-1")
    comments = [
        Comment.objects.create(text="on article", target=article),
        Comment.objects.create(text="on product", target=product),
        Comment.objects.create(text="on secret", target=secret),
    ]
    return {"article": article, "product": product, "secret": secret, "comments": comments}


def test_include_target_embeds_each_row_with_its_types_serializer(client, rows):
    article, product = rows["article"], rows["product"]
    with count_queries() as counts:
        response = client.get("/comments/?include=target")
    assert response.status_code == 200, response.content
    targets = [row["target"] for row in response.json()["results"]]
    assert targets[:2] == [
        {"type": "blog.article", "id": article.pk, "title": "Apples", "tags_ids": []},
        {"type": "shop.product", "id": product.pk, "name": "Pear", "sku": "p1"},
    ]
    # orders: count + page; one query per type that occurs, in its own database.
    assert counts == {"default": 1, "orders": 2, "third": 1}


def test_without_include_the_pair_is_read_from_the_columns(client, rows):
    with count_queries() as counts:
        body = client.get("/comments/").json()
    assert body["results"][0]["target"] == {"type": "blog.article", "id": str(rows["article"].pk)}
    assert counts == {"default": 0, "orders": 2, "third": 0}


@pytest.mark.parametrize("size", [3, 20])
def test_one_query_per_type_whatever_the_page_size(client, size):
    articles = Article.objects.bulk_create([Article(title=f"a{i}") for i in range(size)])
    products = Product.objects.bulk_create(
        [Product(name=f"p{i}", sku=f"s{i}") for i in range(size)]
    )
    Comment.objects.bulk_create(
        [Comment(text=str(i), target=articles[i]) for i in range(size)]
        + [Comment(text=str(i), target=products[i]) for i in range(size)]
    )
    with count_queries() as counts:
        response = client.get(f"/comments/?include=target&page_size={2 * size}")
    results = response.json()["results"]
    assert len(results) == 2 * size
    assert {row["target"]["type"] for row in results} == {"blog.article", "shop.product"}
    assert counts == {"default": 1, "orders": 2, "third": 1}


def test_a_type_that_does_not_occur_costs_nothing(client):
    article = Article.objects.create(title="Only")
    Comment.objects.create(text="a", target=article)
    with count_queries() as counts:
        response = client.get("/comments/?include=target")
    assert response.json()["results"][0]["target"]["title"] == "Only"
    assert counts == {"default": 1, "orders": 2, "third": 0}


def test_scoped_types_render_null(client, rows):
    body = client.get("/scoped-comments/?include=target").json()
    assert [row["target"] and row["target"]["type"] for row in body["results"]] == [
        "blog.article",
        "shop.product",
        None,
    ]


def test_retrieve_includes_the_target(client, rows):
    comment = rows["comments"][1]
    with count_queries() as counts:
        body = client.get(f"/comments/{comment.pk}/?include=target").json()
    assert body["target"]["name"] == "Pear"
    assert counts == {"default": 0, "orders": 1, "third": 1}


def test_unknown_nested_include_is_a_400(client, rows):
    response = client.get("/comments/?include=target.tags")
    assert response.status_code == 400
    assert "Unknown relation 'tags'" in response.json()["include"][0]


def test_reverse_include_comments_then_their_targets(client, rows):
    with count_queries() as counts:
        body = client.get("/commented-products/?include=comments").json()
    assert [(p["name"], [c["text"] for c in p["comments"]]) for p in body["results"]] == [
        ("Pear", ["on product"]),
        ("Plum", ["on secret"]),
    ]
    # third: count + page; orders: the comments of every product, one query.
    assert counts == {"default": 0, "orders": 1, "third": 2}
    with count_queries() as counts:
        body = client.get("/commented-articles/?include=comments.target").json()
    (article,) = body["results"]
    assert article["comments"][0]["target"]["title"] == "Apples"
    assert counts == {"default": 3, "orders": 1, "third": 0}


def test_relation_endpoint_lists_and_creates_an_articles_comments(client, rows):
    article = rows["article"]
    body = client.get(f"/commented-articles/{article.pk}/comments/").json()
    assert [c["text"] for c in body["results"]] == ["on article"]
    response = client.post(
        f"/commented-articles/{article.pk}/comments/",
        {"text": "new", "target": {"type": "blog.article", "id": str(article.pk)}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert list(article.comments.values_list("text", flat=True)) == ["on article", "new"]


def test_write_the_pair(client, rows):
    product = rows["product"]
    payload = {"text": "new", "target": {"type": "shop.product", "id": str(product.pk)}}
    with count_queries() as counts:
        response = client.post("/comments/", payload, format="json")
    assert response.status_code == 201, response.content
    # third: the target looked up once (the save check reuses it); orders: the insert,
    # in a savepoint.
    assert counts == {"default": 0, "orders": 3, "third": 1}
    assert Comment.objects.get(pk=response.json()["id"]).target == product
    # An integer key and the label's case are accepted; ?include= on a write renders.
    article = rows["article"]
    payload = {"target": {"type": "Blog.Article", "id": article.pk}}
    response = client.patch(
        f"/comments/{response.json()['id']}/?include=target", payload, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["target"]["title"] == "Apples"
    assert Comment.objects.filter(target=article).count() == 2


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"type": "shop.customer", "id": "1"}, "Unknown type 'shop.customer'"),
        ({"type": "nowhere", "id": "1"}, "Unknown type 'nowhere'"),
        ({"type": "shop.product", "id": "x"}, "Invalid id 'x' for shop.product"),
        ({"type": "shop.product", "id": "99999999999999999999"}, "does not exist"),
        ({"type": "shop.product", "id": [1]}, "Invalid id [1] for shop.product: not a key."),
        ({"type": "shop.product", "id": "424242"}, "shop.product with id '424242' does not"),
        ({"type": "shop.product"}, 'Give both "type" and "id".'),
        ("shop.product:1", 'Expected {"type": ..., "id": ...}, received str.'),
        (None, "This field may not be null."),
    ],
)
def test_bad_pairs_are_400s(client, rows, target, message):
    response = client.post("/comments/", {"text": "bad", "target": target}, format="json")
    assert response.status_code == 400, response.content
    (error,) = response.json()["target"]
    assert message in error
    assert Comment.objects.count() == 3


def test_missing_pair_is_required_but_not_on_patch(client, rows):
    response = client.post("/comments/", {"text": "none"}, format="json")
    assert response.status_code == 400
    assert response.json()["target"] == ["This field is required."]
    comment = rows["comments"][0]
    response = client.patch(f"/comments/{comment.pk}/?include=target", {"text": "t"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["target"]["type"] == "blog.article"


def test_nullable_pair_takes_null(client, rows):
    response = client.post("/likes/", {"target": None}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["target"] is None
    like = Like.objects.get()
    assert (like.target_type, like.target_id) == (None, None)
    payload = {"target": {"type": "blog.article", "id": str(rows["article"].pk)}}
    response = client.put(f"/likes/{like.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    assert Like.objects.get().target == rows["article"]


def test_schema_has_one_of_per_type(django_assert_num_queries):
    from drf_spectacular.generators import SchemaGenerator

    with django_assert_num_queries(0):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    target = components["Comment"]["properties"]["target"]
    assert [branch["properties"]["type"]["enum"] for branch in target["oneOf"]] == [
        ["blog.article"],
        ["shop.product"],
    ]
    assert all(branch["required"] == ["type", "id"] for branch in target["oneOf"])
    assert "nullable" not in target
    assert components["Like"]["properties"]["target"]["nullable"] is True
    params = schema["paths"]["/comments/"]["get"]["parameters"]
    (include,) = [p for p in params if p["name"] == "include"]
    assert include["schema"]["items"]["enum"] == ["target"]
    params = schema["paths"]["/commented-products/"]["get"]["parameters"]
    (include,) = [p for p in params if p["name"] == "include"]
    assert include["schema"]["items"]["enum"] == ["comments", "comments.target"]


@pytest.mark.parametrize(
    ("includes", "check_id", "message"),
    [
        (
            {"text": {"blog.Article": ArticleSerializer}},
            "weakrel.E212",
            "'text' is not a WeakGenericForeignKey",
        ),
        ({"target": {"shop.Customer": None}}, "weakrel.E213", "names the type 'shop.Customer'"),
        (
            {"target": {"blog.Article": ArticleSerializer}},
            "weakrel.E213",
            "has no serializer for shop.product",
        ),
        (
            {"target": {"blog.Article": ProductSerializer, "shop.Product": ProductSerializer}},
            "weakrel.E214",
            "not a ModelSerializer of blog.article",
        ),
    ],
)
def test_misdeclared_generic_includes_are_reported_and_refused(includes, check_id, message):
    meta = type("Meta", (), {"model": Comment, "fields": ["id"], "includes": includes})
    serializer = type("Misdeclared", (CommentSerializer,), {"Meta": meta})
    (problem,) = resolve_includes(serializer).problems.values()
    assert problem.id == check_id
    assert message in problem.message
    with pytest.raises(ValidationError) as raised:
        parse_include(list(includes), serializer)
    assert "cannot be included" in str(raised.value.detail["include"][0])


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("include=target&fields=target.title", "fields"),
        ("include=target&count=target", "count"),
        ("include=target&target.limit=1", "target.limit"),
    ],
)
def test_scopes_and_fields_inside_a_polymorphic_target_are_400s(client, rows, query, key):
    response = client.get(f"/comments/?{query}")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [key]


def test_sparse_fields_around_a_polymorphic_target(client, rows):
    body = client.get("/commented-articles/?include=comments.target&fields=comments.target").json()
    (article,) = body["results"]
    assert article == {"comments": [{"target": {**article["comments"][0]["target"]}}]}
    assert article["comments"][0]["target"]["type"] == "blog.article"
