"""The DRF integration on a WeakReferencesMany (tests/blog): Article in default, its
Tags in orders."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.blog.models import Article, Pinboard, Tag
from tests.test_drf_include import QueryCounter
from tests.test_drf_writes import json_values

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def blog():
    django, python, sql = (Tag.objects.create(name=n) for n in ("django", "python", "sql"))
    orm = Article.objects.create(title="ORM", tags=[sql, django])
    bare = Article.objects.create(title="Bare")
    return {"django": django, "python": python, "sql": sql, "orm": orm, "bare": bare}


def lists():
    return sorted(
        (pk, json.dumps(ids)) for pk, ids in Article.objects.values_list("pk", "tags_ids")
    )


def test_include_keeps_stored_order(client, blog):
    response = client.get("/articles/?include=tags.articles")
    assert response.status_code == 200, response.content
    orm, bare = response.json()["results"]
    assert orm["tags_ids"] == [blog["sql"].pk, blog["django"].pk]
    assert [t["name"] for t in orm["tags"]] == ["sql", "django"]
    assert [a["title"] for a in orm["tags"][0]["articles"]] == ["ORM"]
    assert bare == {"id": blog["bare"].pk, "title": "Bare", "tags_ids": [], "tags": []}


def test_reverse_include_and_retrieve(client, blog):
    body = client.get("/tags/?include=articles").json()
    assert [(t["name"], [a["title"] for a in t["articles"]]) for t in body["results"]] == [
        ("django", ["ORM"]),
        ("python", []),
        ("sql", ["ORM"]),
    ]
    body = client.get(f"/articles/{blog['orm'].pk}/?include=tags").json()
    assert [t["name"] for t in body["tags"]] == ["sql", "django"]


@pytest.mark.parametrize("size", [1, 10, 500])
def test_query_budget(client, size):
    tags = Tag.objects.bulk_create([Tag(name=f"t{i:03}") for i in range(500)])
    Article.objects.bulk_create(
        [
            Article(title=f"a{i:03}", tags_ids=[tags[i].pk, tags[(i + 1) % 500].pk])
            for i in range(500)
        ]
    )
    with QueryCounter() as queries:
        response = client.get(f"/articles/?page_size={size}&include=tags")
    assert len(response.json()["results"]) == size
    assert len(response.json()["results"][0]["tags"]) == 2
    # default: count + page; orders: the tags, one query.
    assert (queries["default"], queries["orders"], queries["third"]) == (2, 1, 0)
    with QueryCounter() as queries:
        response = client.get(f"/articles/?page_size={size}&include=tags.articles")
    assert response.status_code == 200
    # + the level "articles": one containment query on default.
    assert (queries["default"], queries["orders"], queries["third"]) == (3, 1, 0)
    with QueryCounter() as queries:
        response = client.get(f"/tags/?page_size={size}&include=articles.tags")
    assert response.status_code == 200
    assert (queries["orders"], queries["default"], queries["third"]) == (3, 1, 0)


def test_create_and_update_set_the_list(client, blog):
    body = {"title": "New", "tags_ids": [blog["python"].pk, str(blog["sql"].pk)]}
    response = client.post("/articles/?include=tags", body)
    assert response.status_code == 201, response.content
    assert response.json()["tags_ids"] == [blog["python"].pk, blog["sql"].pk]
    assert [t["name"] for t in response.json()["tags"]] == ["python", "sql"]
    new = Article.objects.get(title="New")
    assert new.tags_ids == [blog["python"].pk, blog["sql"].pk]
    response = client.patch(f"/articles/{new.pk}/", {"tags_ids": [blog["django"].pk]})
    assert response.status_code == 200
    new.refresh_from_db()
    assert new.tags_ids == [blog["django"].pk]
    response = client.post("/articles/", {"title": "Empty"})
    assert response.status_code == 201
    assert Article.objects.get(title="Empty").tags_ids == []


@pytest.mark.parametrize(
    "value, message",
    [
        ([999_999], "tag instances with id 999999 do not exist."),
        (["abc"], "“abc” value must be an integer."),
        ([1.5], "Incorrect type. Expected pk value, received float."),
        ([[1]], "Incorrect type. Expected pk value, received list."),
        ("1", 'Expected a list of items but got type "str".'),
        (None, "This field may not be null."),
    ],
)
def test_bad_lists_are_400_and_change_nothing(client, blog, value, message):
    before = lists()
    response = client.post("/articles/", {"title": "X", "tags_ids": value})
    assert response.status_code == 400
    errors = response.json()["tags_ids"]  # item errors are keyed by position
    assert message in json.dumps(errors, ensure_ascii=False).replace('\\"', '"')
    response = client.patch(f"/articles/{blog['orm'].pk}/", {"tags_ids": value})
    assert response.status_code == 400
    assert lists() == before


def test_duplicates_refused_unless_allowed(client, blog):
    sql = blog["sql"].pk
    response = client.post("/articles/", {"title": "X", "tags_ids": [sql, str(sql)]})
    assert response.status_code == 400
    assert response.json() == {"tags_ids": [f"{sql} given more than once."]}
    assert not Article.objects.filter(title="X").exists()
    response = client.post("/pinboards/", {"repeated_ids": [sql, sql], "ignored_ids": [424242]})
    assert response.status_code == 201, response.content
    board = Pinboard.objects.get()
    assert (board.repeated_ids, board.ignored_ids) == ([sql, sql], [424242])


def test_relation_name_in_fields_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from weakrel.rest_framework import IncludeModelSerializer

    class Wrong(IncludeModelSerializer):
        class Meta:
            model = Article
            fields = ["id", "tags"]

    with pytest.raises(ImproperlyConfigured, match="'tags_ids'"):
        Wrong().fields  # noqa: B018


def test_filters(client, blog):
    body = client.get("/articles/?tags__name=django").json()
    assert [a["title"] for a in body["results"]] == ["ORM"]
    assert client.get("/articles/?tags__name=python").json()["count"] == 0
    body = client.get("/tags/?articles__title=ORM").json()
    assert [t["name"] for t in body["results"]] == ["django", "sql"]


def test_relation_endpoint(client, blog):
    orm = blog["orm"]
    body = client.get(f"/articles/{orm.pk}/tags/?include=articles").json()
    assert [t["name"] for t in body["results"]] == ["sql", "django"]
    url = f"/articles/{orm.pk}/tags/{blog['python'].pk}/"
    assert client.post(url).status_code == 201
    assert client.post(url).status_code == 200
    orm.refresh_from_db()
    assert orm.tags_ids == [blog["sql"].pk, blog["django"].pk, blog["python"].pk]
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404
    assert Tag.objects.filter(pk=blog["python"].pk).exists()
    assert client.get("/articles/999999/tags/").status_code == 404
    assert client.post(f"/articles/{orm.pk}/tags/999999/").status_code == 404


def test_schema(client):
    schema = client.get("/schema/?format=json").json()
    assert "/articles/{parent_pk}/tags/{id}/" in schema["paths"]
    params = schema["paths"]["/articles/"]["get"]["parameters"]
    include = next(p for p in params if p["name"] == "include")
    assert include["schema"]["items"]["enum"] == ["tags", "tags.articles", "tags.articles.tags"]
    assert "tags__name" in {p["name"] for p in params}


fuzz = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fuzz
@given(value=json_values)
def test_any_json_list_is_2xx_or_4xx(client, blog, value):
    orm = blog["orm"]
    before = lists()
    response = client.generic(
        "PATCH",
        f"/articles/{orm.pk}/",
        json.dumps({"tags_ids": value}),
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()  # on the field, or the body is not JSON (NaN, Infinity)
        assert lists() == before
    else:
        orm.refresh_from_db()
        assert response.json()["tags_ids"] == orm.tags_ids
        Article.objects.filter(pk=orm.pk).update(tags_ids=[blog["sql"].pk, blog["django"].pk])


@fuzz
@given(body=st.dictionaries(st.sampled_from(["title", "tags_ids", "id"]), json_values))
def test_any_json_body_is_2xx_or_4xx(client, blog, body):
    before = lists()
    response = client.generic(
        "POST", "/articles/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()
        assert lists() == before
