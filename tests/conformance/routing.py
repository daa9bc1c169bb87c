"""The router of the two-database mode: every weak relation crosses databases it can.

Models are grouped into *units* that must share a database because Django joins or
constrains them natively: a proxy with its concrete model, a multi-table child with
its parents, the ends of every relation left native (see ``transform``) and a
``GenericRelation`` with the model holding the ``GenericForeignKey``. Each unit gets
``default`` or ``other`` by two-colouring the graph of weak relations, breadth first
and in the order of the units' labels, so that both ends of a weak relation land in
different databases whenever the graph allows (a weak key to its own model, or an odd
cycle, cannot). A unit without weak relations alternates in label order. The result
depends only on the models, so every run splits them the same way.

Contrib models (auth, contenttypes, sessions, sites, admin) are read and written in
``default`` and their tables exist in both databases: a ``GenericForeignKey`` reads
its ``ContentType`` from the database of the instance holding it.

The ``multiple_database`` app is left to its tests, which place their rows with
``using()`` and install their own routers: this router has no opinion on it.
"""

from __future__ import annotations

from collections import deque

DATABASES = ("default", "other")
CONTRIB = {"auth", "contenttypes", "sessions", "sites", "admin", "messages", "staticfiles"}
UNROUTED_APPS = {"multiple_database"}


def _weak_classes():
    import weakrel

    return (
        weakrel.WeakForeignKey,
        weakrel.WeakOneToOneField,
        weakrel.WeakManyToManyField,
        weakrel.WeakReferencesMany,
    )


class _Units:
    """Union-find over model labels."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, label: str) -> str:
        self.parent.setdefault(label, label)
        while self.parent[label] != label:
            self.parent[label] = self.parent[self.parent[label]]
            label = self.parent[label]
        return label

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller label names the unit, so names do not depend on the order.
            low, high = sorted((ra, rb))
            self.parent[high] = low


def placement(app_labels) -> dict[str, str]:
    """``{model label: alias}`` for every model of ``app_labels`` (routed apps only)."""
    from django.apps import apps
    from django.contrib.contenttypes.fields import GenericRelation

    weak = _weak_classes()
    routed = set(app_labels) - UNROUTED_APPS
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in routed or m._meta.app_label in CONTRIB
    ]

    def label(model) -> str:
        return model._meta.concrete_model._meta.label_lower

    units = _Units()
    fixed: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for model in models:
        units.find(label(model))
        if model._meta.app_label in CONTRIB:
            fixed[label(model)] = "default"
        for parent in model._meta.get_parent_list():
            units.union(label(model), label(parent))
        for field in model._meta.get_fields(include_hidden=True):
            related = getattr(field, "related_model", None)
            if related is None or isinstance(related, str):
                continue
            if related._meta.app_label not in routed | CONTRIB:
                continue
            if isinstance(field, weak):
                if getattr(field, "concrete", False):
                    edges.append((label(model), label(related)))
            elif field.is_relation and (field.concrete or isinstance(field, GenericRelation)):
                if related._meta.app_label in CONTRIB:
                    continue  # contrib tables exist in both databases
                units.union(label(model), label(related))

    neighbours: dict[str, set[str]] = {}
    for a, b in edges:
        ua, ub = units.find(a), units.find(b)
        if ua != ub:
            neighbours.setdefault(ua, set()).add(ub)
            neighbours.setdefault(ub, set()).add(ua)
    colour: dict[str, str] = {}
    for unit in {units.find(x) for x in fixed}:
        colour[unit] = "default"
    all_units = sorted({units.find(label(m)) for m in models})
    queue = deque(sorted(colour))
    lone = 0
    for start in [None, *all_units]:
        if start is not None:
            if start in colour:
                continue
            if start not in neighbours:
                colour[start] = DATABASES[lone % 2]
                lone += 1
                continue
            colour[start] = "default"
            queue.append(start)
        while queue:
            unit = queue.popleft()
            other = DATABASES[1 - DATABASES.index(colour[unit])]
            for near in sorted(neighbours.get(unit, ())):
                if near not in colour:
                    colour[near] = other
                    queue.append(near)
    return {label(m): colour[units.find(label(m))] for m in models}


def crossing(app_labels) -> tuple[int, int]:
    """(weak relations whose ends are in different databases, all weak relations)."""
    from django.apps import apps

    where = placement(app_labels)
    weak = _weak_classes()
    total = crossed = 0
    for model in apps.get_models():
        for field in model._meta.get_fields(include_hidden=True):
            if isinstance(field, weak) and getattr(field, "concrete", False):
                a = where.get(model._meta.concrete_model._meta.label_lower)
                related = field.related_model
                if a is None or isinstance(related, str):
                    continue
                total += 1
                crossed += a != where.get(related._meta.concrete_model._meta.label_lower, a)
    return crossed, total


class SplitRouter:
    """Routes each model of the harness's apps to the database ``placement`` gave it."""

    def __init__(self) -> None:
        self._where: dict[str, str] | None = None

    def _alias(self, model) -> str | None:
        if model._meta.app_label in UNROUTED_APPS:
            return None
        if self._where is None:
            from django.conf import settings

            self._where = placement(settings.CONFORMANCE_APPS)
        return self._where.get(model._meta.concrete_model._meta.label_lower)

    def db_for_read(self, model, **hints):
        return self._alias(model)

    def db_for_write(self, model, **hints):
        return self._alias(model)

    def allow_relation(self, obj1, obj2, **hints):
        if obj1._meta.app_label in CONTRIB or obj2._meta.app_label in CONTRIB:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in CONTRIB or app_label in UNROUTED_APPS or model_name is None:
            return None
        model = hints.get("model")
        if model is None:
            from django.apps import apps

            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                return None
        alias = self._alias(model)
        return None if alias is None else alias == db
