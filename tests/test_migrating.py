"""Converting a ForeignKey to a WeakForeignKey and back, with the schema editor."""

import pytest
from django.db import connection, models
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.operations import AlterField
from django.db.migrations.questioner import MigrationQuestioner
from django.db.migrations.state import ModelState, ProjectState
from django.test.utils import isolate_apps

import weakrel


def _foreign_keys(table: str) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [name for name, c in constraints.items() if c["foreign_key"]]


def _indexed(table: str, column: str) -> bool:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return any(
        c["columns"] == [column] and (c["index"] or c["foreign_key"]) for c in constraints.values()
    )


@pytest.mark.django_db(databases=["default"], transaction=True)
@isolate_apps("tests.shop")
def test_foreign_key_to_weak_foreign_key_and_back():
    class Author(models.Model):
        class Meta:
            app_label = "shop"
            db_table = "migrating_author"

    class Book(models.Model):
        author = models.ForeignKey(Author, models.CASCADE)

        class Meta:
            app_label = "shop"
            db_table = "migrating_book"

    native = Book._meta.get_field("author")
    weak = weakrel.WeakForeignKey(Author, weakrel.CASCADE)
    weak.set_attributes_from_name("author")
    weak.model = Book
    weak.remote_field.model = Author
    weak.remote_field.field_name = "id"

    # The migration makemigrations writes: one AlterField.
    before = ProjectState()
    before.add_model(ModelState.from_model(Author))
    before.add_model(ModelState.from_model(Book))
    after = before.clone()
    after.models["shop", "book"].fields["author"] = weak.clone()
    changes = MigrationAutodetector(before, after, MigrationQuestioner())._detect_changes()
    (migration,) = changes["shop"]
    (operation,) = migration.operations
    assert isinstance(operation, AlterField) and operation.name == "author"

    with connection.schema_editor() as editor:
        editor.create_model(Author)
        editor.create_model(Book)
    try:
        assert _foreign_keys("migrating_book")
        author = Author.objects.create()
        Book.objects.create(author=author)
        with connection.schema_editor() as editor:
            editor.alter_field(Book, native, weak)
        assert _foreign_keys("migrating_book") == []
        assert _indexed("migrating_book", "author_id")
        with connection.cursor() as cursor:
            cursor.execute("SELECT author_id FROM migrating_book")
            assert cursor.fetchall() == [(author.pk,)]
        with connection.schema_editor() as editor:
            editor.alter_field(Book, weak, native)
        assert _foreign_keys("migrating_book")
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Book)
            editor.delete_model(Author)
