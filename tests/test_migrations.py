"""Weak keys round-trip through migrations: deconstruct, serialize, autodetect."""

import pytest
from django.db import connections, models
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.questioner import MigrationQuestioner
from django.db.migrations.state import ModelState, ProjectState
from django.db.migrations.writer import MigrationWriter

import weakrel
from tests.shop.models import KeyHolder, Order, Profile


@pytest.mark.parametrize(
    "field",
    [
        Order._meta.get_field("customer"),
        Profile._meta.get_field("customer"),
        KeyHolder._meta.get_field("product"),
    ],
)
def test_field_round_trips_through_the_migration_writer(field):
    name, path, args, kwargs = field.deconstruct()
    rebuilt = field.__class__(*args, **kwargs)
    assert rebuilt.deconstruct()[1:] == (path, args, kwargs)
    source, imports = MigrationWriter.serialize(field)
    namespace = {}
    exec("\n".join(sorted(imports)), namespace)
    clone = eval(source, namespace)
    assert clone.deconstruct()[1:] == field.deconstruct()[1:]
    assert path.startswith("weakrel.fields.")


def test_deconstruct_keeps_only_what_differs_from_defaults():
    kwargs = Order._meta.get_field("customer").deconstruct()[3]
    assert kwargs == {"to": "shop.customer", "on_delete": models.CASCADE, "related_name": "orders"}
    field = weakrel.WeakForeignKey(
        "shop.Customer", weakrel.PROTECT, db_index=False, enforce=False, related_query_name="o"
    )
    kwargs = field.deconstruct()[3]
    assert kwargs["db_index"] is False and kwargs["enforce"] is False
    assert kwargs["related_query_name"] == "o" and kwargs["to"] == "shop.customer"
    assert "unique" not in Profile._meta.get_field("customer").deconstruct()[3]


def test_autodetector_makes_the_dependent_app_wait_for_the_target():
    customer = ModelState("crm", "Customer", [("id", models.AutoField(primary_key=True))])
    order = ModelState(
        "sales",
        "Order",
        [
            ("id", models.AutoField(primary_key=True)),
            ("customer", weakrel.WeakForeignKey("crm.Customer", weakrel.CASCADE)),
        ],
    )
    to_state = ProjectState()
    to_state.add_model(customer)
    to_state.add_model(order)
    questioner = MigrationQuestioner(specified_apps={"crm", "sales"}, dry_run=True)
    changes = MigrationAutodetector(ProjectState(), to_state, questioner).changes(
        graph=MigrationGraph()
    )
    (sales,) = changes["sales"]
    assert sales.dependencies == [("crm", "0001_initial")]
    # The migration, applied to a state, yields a column typed like the target key.
    state = ProjectState()
    for migration in (*changes["crm"], sales):
        for operation in migration.operations:
            operation.state_forwards(migration.app_label, state)
    field = state.apps.get_model("sales", "Order")._meta.get_field("customer")
    assert field.db_type(connections["default"]) == models.IntegerField().db_type(
        connections["default"]
    )


def test_autodetector_sees_no_change_in_an_unchanged_project():
    from django.apps import apps

    state = ProjectState.from_apps(apps)
    questioner = MigrationQuestioner(specified_apps={"shop"}, dry_run=True)
    changes = MigrationAutodetector(state, ProjectState.from_apps(apps), questioner).changes(
        graph=MigrationGraph()
    )
    assert changes == {}


@pytest.mark.django_db(databases="__all__")
def test_no_constraint_in_the_database():
    connection = connections["orders"]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "shop_order")
    assert not any(c["foreign_key"] for c in constraints.values())
    assert any(c["index"] and c["columns"] == ["customer_id"] for c in constraints.values())
