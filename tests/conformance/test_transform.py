"""The harness's model rewriting (tests/conformance/transform.py), on small sources."""

import ast
import textwrap

from tests.conformance.transform import transform_source


def rewrite(source: str):
    text, decisions = transform_source(textwrap.dedent(source), "app.models")
    ast.parse(text)  # the result is still Python
    return text, {d.field: d for d in decisions}


def test_foreign_keys_and_one_to_ones_become_weak_with_their_arguments():
    text, decisions = rewrite(
        """
        from django.db import models


        class Reporter(models.Model):
            pass


        class Article(models.Model):
            reporter = models.ForeignKey(
                Reporter, models.CASCADE, related_name="articles", db_constraint=False
            )
            profile = models.OneToOneField("Reporter", on_delete=models.SET_NULL, null=True)
        """
    )
    assert "weakrel.WeakForeignKey(Reporter, models.CASCADE, related_name='articles')" in text
    assert "weakrel.WeakOneToOneField('Reporter', models.SET_NULL, null=True)" in text
    assert "db_constraint" not in text
    assert "import weakrel\n" in text
    assert decisions["reporter"].weak and decisions["profile"].weak


def test_what_weakrel_cannot_stand_in_for_stays_native():
    text, decisions = rewrite(
        """
        from django.contrib.contenttypes.models import ContentType
        from django.db import models


        class Place(models.Model):
            pass


        class Restaurant(Place):
            place = models.OneToOneField(Place, models.CASCADE, parent_link=True)
            kind = models.ForeignKey(ContentType, models.CASCADE)
            fallback = models.ForeignKey(Place, models.SET(None), related_name="+")
            friends = models.ManyToManyField("self", through="Friendship")


        class Friendship(models.Model):
            a = models.ForeignKey(Restaurant, models.CASCADE, related_name="+")
            b = models.ForeignKey(Restaurant, models.CASCADE, related_name="+")
        """
    )
    for name in ("place", "kind", "fallback", "friends", "a", "b"):
        assert not decisions[name].weak, name
    assert "weakrel." not in text


def test_a_many_to_many_without_through_gets_the_through_model_django_would_create():
    text, decisions = rewrite(
        """
        from django.db import models


        class Author(models.Model):
            pass


        class Book(models.Model):
            authors = models.ManyToManyField(Author, blank=True, related_name="books")
        """
    )
    assert decisions["authors"].weak
    assert (
        "weakrel.WeakManyToManyField(Author, through='Book_authors', related_name='books')"
    ) in text
    tree = ast.parse(text)
    through = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Book_authors")
    source = ast.unparse(through)
    assert "book = weakrel.WeakForeignKey('Book', models.CASCADE, related_name='+')" in source
    assert "author = weakrel.WeakForeignKey(Author, models.CASCADE, related_name='+')" in source
    assert "unique_together = [('book', 'author')]" in source


def test_an_explicit_through_is_kept_and_its_keys_become_weak():
    text, decisions = rewrite(
        """
        from django.db import models


        class Person(models.Model):
            pass


        class Group(models.Model):
            members = models.ManyToManyField(Person, through="Membership")


        class Membership(models.Model):
            person = models.ForeignKey(Person, models.CASCADE)
            group = models.ForeignKey(Group, models.CASCADE)
        """
    )
    assert "weakrel.WeakManyToManyField(Person, through='Membership')" in text
    assert decisions["person"].weak and decisions["group"].weak
    assert "class Membership_" not in text


def test_a_module_without_relations_is_left_alone():
    source = "from django.db import models\n\n\nclass A(models.Model):\n    pass\n"
    assert transform_source(source) == (source, [])
