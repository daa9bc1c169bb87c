"""Inlines over ReferencesMany lists: a tag's page (database "orders") edits the
articles (database "default") whose ``tags`` list holds it."""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import OperationalError, connections

from tests.admin_helpers import change_url, get_with_queries
from tests.blog.models import Article, Tag
from tests.test_admin_inlines import fail_on, management

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("admin_urls")]


@pytest.fixture
def tag():
    return Tag.objects.create(name="django")


def tag_data(tag, articles=(), new=(), remove=(), name=None):
    """The tag page's POST: its articles (with new titles), new ones, removed ones."""
    data = {"name": name or tag.name}
    data |= management("articles", len(articles) + len(new), len(articles))
    for i, (article, title) in enumerate([*articles, *((None, t) for t in new)]):
        data[f"articles-{i}-title"] = title
        if article is not None:
            data[f"articles-{i}-id"] = str(article.pk)
            if article in remove:
                data[f"articles-{i}-DELETE"] = "on"
    return data


def errors(response):
    return response.context["inline_admin_formsets"][0].formset.errors


@pytest.mark.parametrize("rows", [1, 12])
def test_the_inline_lists_the_articles_naming_the_tag_in_one_query(admin, tag, rows):
    other = Tag.objects.create(name="other")
    listed = [Article.objects.create(title=f"a{i}", tags=[other, tag]) for i in range(rows)]
    Article.objects.create(title="elsewhere", tags=[other])
    response, captured = get_with_queries(admin, change_url(tag))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.pk for form in formset.initial_forms] == [a.pk for a in listed]
    assert "tags" not in formset.forms[0].fields
    assert f'name="articles-{rows - 1}-title"' in response.content.decode()
    # The articles: one query on their database, whatever their number (the rest
    # of "default" is the session and the user).
    assert len([sql for sql in captured["default"] if "blog_article" in sql]) == 1


def test_add_change_and_remove_rows(admin, tag):
    other = Tag.objects.create(name="other")
    kept = Article.objects.create(title="kept", tags=[other, tag])
    gone = Article.objects.create(title="gone", tags=[tag, other])
    data = tag_data(tag, [(kept, "kept!"), (gone, "gone")], new=["new"], remove=[gone])
    response = admin.post(change_url(tag), data, follow=False)
    assert response.status_code == 302, errors(response)
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (kept.title, kept.tags_ids) == ("kept!", [other.pk, tag.pk])
    # Removing a row takes the tag out of its list; the article stays.
    assert (gone.title, gone.tags_ids) == ("gone", [other.pk])
    assert Article.objects.get(title="new").tags_ids == [tag.pk]
    assert [a.title for a in Article.objects.filter(tags=tag).order_by("pk")] == ["kept!", "new"]


def test_a_new_tag_with_new_articles(admin):
    data = {"name": "fresh"} | management("articles", 2, 0)
    data |= {"articles-0-title": "one", "articles-1-title": "two"}
    response = admin.post("/admin/blog/tag/add/", data)
    assert response.status_code == 302, errors(response)
    tag = Tag.objects.get(name="fresh")
    assert sorted(a.title for a in Article.objects.filter(tags=tag)) == ["one", "two"]


def test_a_dangling_key_in_a_list_is_a_form_error(admin, tag):
    article = Article.objects.create(title="old", tags=[tag])
    Article.objects.filter(pk=article.pk).update(tags_ids=[tag.pk, 9999])  # raw: no check
    data = tag_data(tag, [(article, "new title")], name="renamed")
    response = admin.post(change_url(tag), data)
    assert response.status_code == 200
    assert [e.code for e in errors(response)[0].as_data()["__all__"]] == ["dangling"]
    assert "9999" in str(errors(response)[0])
    article.refresh_from_db()
    tag.refresh_from_db()
    assert (article.title, tag.name) == ("old", "django")


def test_a_failure_in_the_second_database_leaves_nothing_half_saved(admin, tag):
    article = Article.objects.create(title="a", tags=[tag])
    data = tag_data(tag, [(article, "a!")], new=["b", "c"], name="renamed")
    # The tag (orders) is saved first, the articles (default) after it: the second
    # new article fails.
    with connections["default"].execute_wrapper(fail_on("blog_article", after=1)):
        with pytest.raises(OperationalError, match="injected"):
            admin.post(change_url(tag), data)
    tag.refresh_from_db()
    assert tag.name == "django"
    assert list(Article.objects.values_list("title", "tags_ids")) == [("a", [tag.pk])]
    assert not LogEntry.objects.exists()


def test_the_list_is_chosen_as_django_chooses_a_foreign_key():
    from django.contrib.admin import AdminSite

    from tests.blog.models import Pinboard
    from weakrel.admin import WeakModelAdmin, WeakTabularInline

    def check(**attrs):
        inline = type("PinboardInline", (WeakTabularInline,), {"model": Pinboard, **attrs})
        admin_class = type("TagAdmin", (WeakModelAdmin,), {"inlines": [inline]})
        return [e.id for e in admin_class(Tag, AdminSite()).check()]

    assert check() == ["weakrel.E402"]  # four lists to Tag
    assert check(fk_name="repeated") == []


def test_without_the_change_permission_a_row_is_not_saved(client, admin_urls, tag):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["change_tag", "view_tag", "view_article"])
    )
    client.force_login(user)
    article = Article.objects.create(title="old", tags=[tag])
    response = client.post(change_url(tag), tag_data(tag, [(article, "new")], name="renamed"))
    assert response.status_code == 302
    article.refresh_from_db()
    tag.refresh_from_db()
    assert (article.title, tag.name) == ("old", "renamed")
