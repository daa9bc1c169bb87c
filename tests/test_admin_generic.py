"""The admin over a generic key: Comment (orders) points at an Article (default) or a
Product (third); Like (third) at an Article or a Photo (UUID keys), or at nothing."""

import pytest

from tests.admin_helpers import change_url, get_with_queries
from tests.blog.models import Article, Comment, Like, Photo
from tests.queries import count_queries
from tests.shop.models import Product

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("admin_urls")]

COMMENTS = "/admin/blog/comment/"


def ids(response):
    return [obj.pk for obj in response.context["cl"].result_list]


def comments(rows):
    """``rows`` comments, on articles and products in turn."""
    made = []
    for i in range(rows):
        if i % 2:
            target = Product.objects.create(name=f"p{i}", sku=f"S{i}")
        else:
            target = Article.objects.create(title=f"a{i}")
        made.append(Comment.objects.create(text=f"c{i}", target=target))
    return made


def link(target):
    return f'<td class="field-target"><a href="{change_url(target)}">{target}</a></td>'


@pytest.mark.parametrize("rows", [2, 20])
def test_changelist_links_each_target_with_one_query_per_type(admin, rows):
    made = comments(rows)
    response, captured = get_with_queries(admin, COMMENTS)
    assert response.status_code == 200
    html = response.content.decode()
    for comment in made:
        assert link(comment.target) in html
    # The articles in one query, the products in one query, whatever the page size.
    assert len([sql for sql in captured["default"] if "blog_article" in sql]) == 1
    assert len(captured["third"]) == 1
    assert "shop_product" in captured["third"][0]
    # Count, full count, the page.
    assert len(captured["orders"]) == 3


def test_only_the_types_on_the_page_are_read(admin):
    Comment.objects.create(text="a", target=Article.objects.create(title="A"))
    response, captured = get_with_queries(admin, COMMENTS)
    assert response.status_code == 200
    assert captured["third"] == []


def test_a_dangling_pair_is_shown_as_missing(admin):
    kept, gone = Article.objects.create(title="kept"), Article.objects.create(title="gone")
    Comment.objects.create(text="k", target=kept)
    dangling = Comment.objects.create(text="d", target=gone)
    Article.objects.filter(pk=gone.pk)._raw_delete("default")  # no cascade
    response, captured = get_with_queries(admin, COMMENTS)
    html = response.content.decode()
    assert link(kept) in html
    assert 'class="weakrel-missing"' in html
    assert f"blog.article {gone.pk} (missing)</span>" in html
    assert dangling.pk in ids(response)
    assert len([sql for sql in captured["default"] if "blog_article" in sql]) == 1


def test_a_type_no_longer_allowed_is_shown_as_missing(admin):
    comment = Comment.objects.create(text="x", target=Article.objects.create(title="A"))
    Comment.objects.filter(pk=comment.pk).update(target_type="shop.customer")
    html = admin.get(COMMENTS).content.decode()
    assert f"shop.customer {comment.target_id} (missing)</span>" in html


def test_a_null_pair_shows_the_empty_value(admin):
    Like.objects.create(target=None)
    response, captured = get_with_queries(admin, "/admin/blog/like/")
    assert '<td class="field-target">-</td>' in response.content.decode()
    assert not any("blog_article" in sql for sql in captured["default"])  # nothing to read
    assert not any("blog_photo" in sql for sql in captured["third"])


@pytest.mark.parametrize("param, expected", [("o=3", [1, 2, 0]), ("o=-3", [0, 2, 1])])
def test_sorting_by_a_generic_key_sorts_by_type_then_key(admin, param, expected):
    first, second = Article.objects.create(title="Z"), Article.objects.create(title="Y")
    made = [
        Comment.objects.create(text="p", target=Product.objects.create(name="P", sku="P")),
        Comment.objects.create(text="a1", target=first),
        Comment.objects.create(text="a2", target=second),
    ]
    # blog.article sorts before shop.product; within a type, by key.
    response = admin.get(f"{COMMENTS}?{param}")
    assert ids(response) == [made[i].pk for i in expected]
    assert "Target (sorted by target_type, target_id)" in response.content.decode()
    assert "sorted by" not in admin.get(COMMENTS).content.decode()


# -- the change form ----------------------------------------------------------------


def post(admin, url, **data):
    return admin.post(url, {"text": "t", "_save": "Save", **data})


def test_change_form_shows_the_pair_and_links_the_target(admin):
    product = Product.objects.create(name="Pear", sku="P1")
    comment = Comment.objects.create(text="x", target=product)
    response, captured = get_with_queries(admin, change_url(comment))
    html = response.content.decode()
    assert '<option value="blog.article">Article (blog.article)</option>' in html
    assert '<option value="shop.product" selected>Product (shop.product)</option>' in html
    assert f'name="target_id" value="{product.pk}"' in html
    assert f'<strong><a href="{change_url(product)}">{product}</a></strong>' in html
    assert len(captured["third"]) == 1  # the product, once


def test_change_form_of_a_dangling_pair_says_missing(admin):
    article = Article.objects.create(title="gone")
    comment = Comment.objects.create(text="x", target=article)
    Article.objects.filter(pk=article.pk)._raw_delete("default")
    response = admin.get(change_url(comment))
    assert response.status_code == 200
    assert "(missing)</span>" in response.content.decode()


def test_a_typed_in_pair_is_saved_with_one_read_of_the_target(admin):
    comment = Comment.objects.create(text="x", target=Article.objects.create(title="A"))
    product = Product.objects.create(name="Pear", sku="P1")
    with count_queries() as counts:
        response = post(
            admin, change_url(comment), target_type="shop.product", target_id=f" {product.pk} "
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    comment.refresh_from_db()
    assert (comment.target_type, comment.target_id) == ("shop.product", str(product.pk))
    assert comment.target == product
    assert counts["third"] == 1  # the form read the product; save() did not again


def test_the_add_form_creates_a_comment(admin):
    article = Article.objects.create(title="A")
    response = post(admin, f"{COMMENTS}add/", target_type="blog.article", target_id=article.pk)
    assert response.status_code == 302
    assert Comment.objects.get().target == article


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"target_type": "shop.customer", "target_id": "1"},
            "target_type",
            "Select a valid choice",
        ),
        (
            {"target_type": "blog.article", "target_id": "abc"},
            "target_id",
            "“abc” is not a valid ID for article.",
        ),
        (
            {"target_type": "blog.article", "target_id": "999999"},
            "target_id",
            "article with ID 999999 does not exist.",
        ),
        ({"target_type": "", "target_id": "1"}, "target_type", "This field is required."),
    ],
)
def test_a_bad_pair_is_an_error_on_its_field(admin, data, field, message):
    article = Article.objects.create(title="A")
    comment = Comment.objects.create(text="x", target=article)
    response = post(admin, change_url(comment), **data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    comment.refresh_from_db()
    assert comment.target == article


def test_a_malformed_uuid_key(admin):
    like = Like.objects.create(target=Photo.objects.create())
    data = {"target_type": "blog.photo", "target_id": "nope", "_save": "1"}
    response = admin.post(change_url(like), data)
    errors = response.context["adminform"].form.errors
    assert errors["target_id"] == ["“nope” is not a valid id for photo."]


def like_form(rf, **data):
    """The like admin's form, the pair optional (as with ``blank=True``)."""
    from tests.admin_urls import site

    form_class = site.get_model_admin(Like).get_form(rf.get("/"))
    form = form_class(data=data)
    form.fields["target_type"].required = form.fields["target_id"].required = False
    return form


def test_half_a_pair_is_an_error_on_the_missing_half(rf):
    form = like_form(rf, target_type="blog.photo", target_id="")
    assert form.errors == {"target_id": ["Give both a type and a key, or neither."]}
    form = like_form(rf, target_type="", target_id="1")
    assert form.errors == {"target_type": ["Give both a type and a key, or neither."]}


def test_an_empty_pair_is_none(rf):
    form = like_form(rf, target_type="", target_id="")
    assert form.is_valid(), form.errors
    like = form.save()
    assert (like.target_type, like.target_id, like.target) == (None, None, None)
