"""ReferencesMany: an ordered list of keys to rows of another database, in one column.

Given::

    class Article(Model):                        # database "default"
        tags = WeakReferencesMany("blog.Tag", related_name="articles")

    class Tag(Model):                            # database "orders"
        name = CharField(max_length=50)

``WeakReferencesMany`` is a ``JSONField`` whose column, ``tags_ids`` (``<name>_ids``,
as ``ForeignKey`` adds ``_id``), holds a JSON array of Tag keys:

* ``article.tags_ids`` is the raw list; assigning ``article.tags = [tag, 3]`` sets it;
* ``article.tags`` is a related manager whose querysets come back in stored order;
* ``tag.articles`` is a related manager over the articles whose list holds the tag,
  found with a JSON containment test (PostgreSQL ``@>``, MariaDB/MySQL
  ``JSON_CONTAINS``/``JSON_OVERLAPS``, SQLite ``json_each``);
* on save, the keys must be distinct (unless ``allow_duplicates``) and, with
  ``enforce``, name existing rows, checked in one query for the whole list;
* deleting a tag removes its key from every list (``PULL``), or is refused
  (``PROTECT``, ``RESTRICT``), inside the core's all-databases transaction.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core import checks, exceptions
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router, transaction
from django.db.models import DO_NOTHING, PROTECT, RESTRICT, Case, IntegerField, Value, When
from django.db.models.expressions import Col
from django.db.models.fields.json import JSONExact
from django.db.models.fields.mixins import FieldCacheMixin
from django.db.models.lookups import Lookup
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from weakrel.deletion import PULL
from weakrel.descriptors import RelatedManagerDescriptor
from weakrel.exceptions import DanglingReferenceError
from weakrel.fields import ReverseWeakRelation, WeakRel, WeakRelationField
from weakrel.lookups import RelatedPath, RelationCol, RemoteLookup, _RemoteOutput
from weakrel.routing import (
    chunks,
    database_errors,
    filter_in,
    key_chunk_size,
    prefetch_start,
    related_queryset_class,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from weakrel.deletion import WeakCollector


class WeakReferencesMany(WeakRelationField, FieldCacheMixin, models.JSONField):
    """ReferencesMany: a JSON list of keys of ``to``, in any database."""

    description = _("Weak references (a list of keys of another model)")
    default_error_messages = {
        **models.JSONField.default_error_messages,
        "duplicate": _("%(field)s holds %(value)r more than once."),
        "dangling": _("%(model)s instance with %(field)s %(value)r does not exist."),
        "not_a_list": _("%(field)s must be a list of keys."),
        "invalid_key": _("%(value)r is not a valid key for %(model)s.%(field)s."),
        "null_characters": _("A key for %(model)s may not contain null characters."),
    }
    supported_on_delete = (PULL, PROTECT, RESTRICT, DO_NOTHING)
    # Read by Django's schema editor (the field has a remote_field): no constraint.
    db_constraint = False

    def __init__(
        self,
        to: type[models.Model] | str,
        on_delete: Callable = PULL,
        *,
        related_name: str | None = None,
        related_query_name: str | None = None,
        enforce: bool = True,
        allow_duplicates: bool = False,
        **kwargs: Any,
    ) -> None:
        if not callable(on_delete):
            raise TypeError("on_delete must be callable.")
        self.on_delete = on_delete
        self.enforce = enforce
        self.allow_duplicates = allow_duplicates
        kwargs.setdefault("default", list)
        kwargs["rel"] = WeakRel(self, to, None, related_name, related_query_name, on_delete)
        super().__init__(**kwargs)
        self.is_relation = False

    # -- model class wiring -------------------------------------------------------

    def get_attname(self) -> str:
        return f"{self.name}_ids"

    def forward_descriptor(self) -> ReferencesManyDescriptor:
        return ReferencesManyDescriptor(self)

    def reverse_field(self) -> ReverseReferencesMany:
        return ReverseReferencesMany(self)

    def reverse_descriptor(self, reverse: ReverseReferencesMany) -> ReverseReferencesDescriptor:
        return ReverseReferencesDescriptor(self)

    @property
    def related_model(self) -> type[models.Model] | str:
        return self.remote_field.model

    @property
    def target_resolved(self) -> bool:
        return not isinstance(self.remote_field.model, str)

    @cached_property
    def key_field(self) -> models.Field:
        """The target's primary key. (Not ``target_field``: Django's lookups would
        then prepare a whole list as one key.)"""
        return self.related_model._meta.pk

    @property
    def foreign_related_fields(self) -> tuple[models.Field, ...]:
        # Read by Django's deletion Collector when it defers unneeded columns.
        return (self.key_field,)

    # -- values -------------------------------------------------------------------

    def key_of(self, obj: models.Model) -> Any:
        return getattr(obj, self.key_field.attname)

    def to_key(self, value: Any) -> Any:
        """A target instance or a raw key, as the target's key (``"3"`` becomes 3)."""
        if isinstance(value, models.Model):
            if not isinstance(value, self.related_model._meta.concrete_model):
                raise ValueError(
                    f'Cannot use "{value!r}" in "{self.model.__name__}.{self.name}": it '
                    f'must be a "{self.related_model._meta.object_name}" instance.'
                )
            key = self.key_of(value)
            if key is None:
                raise ValueError(
                    f"Cannot use unsaved {value!r} in {self.model.__name__}.{self.name}."
                )
            return key
        try:
            key = self.key_field.to_python(value)
        except (TypeError, ValueError, OverflowError) as exc:
            # Django's fields let these through for some inputs (int(inf), bytes to UUID).
            raise self._key_error("invalid_key", value) from exc
        if isinstance(key, str) and "\x00" in key:
            # PostgreSQL cannot even compare such a string; no database stores it as a key.
            raise self._key_error("null_characters", value)
        return key

    def _key_error(self, code: str, value: Any) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            self.error_messages[code],
            code=code,
            params={
                "value": value,
                "model": self.related_model._meta.object_name,
                "field": self.key_field.name,
            },
        )

    def json_key(self, key: Any) -> int | str:
        """How one key is written inside the JSON array: a number or a string."""
        value = self.key_field.get_prep_value(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return str(value)

    def key_list(self, value: Any) -> list[Any]:
        """``value`` (a list of instances or keys, or None) as a list of keys."""
        if value is None:
            return []
        if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
            raise exceptions.ValidationError(
                self.error_messages["not_a_list"],
                code="not_a_list",
                params={"field": self.name},
            )
        return [self.to_key(item) for item in value]

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, list) and getattr(expression, "target", None) is self:
            return [self.key_field.to_python(key) for key in value]
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            value = [self.json_key(self.to_key(item)) for item in value]
        return super().get_prep_value(value)

    def value_from_object(self, obj: models.Model) -> Any:
        return getattr(obj, self.attname)

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        setattr(instance, self.name, data)

    # -- enforcement --------------------------------------------------------------

    def duplicates(self, keys: list[Any]) -> list[Any]:
        seen, repeated = set(), []
        for key in keys:
            if key in seen and key not in repeated:
                repeated.append(key)
            seen.add(key)
        return repeated

    def missing(self, keys: Iterable[Any], *, instance: models.Model | None = None):
        """The keys with no target row, and the database asked: one query per chunk."""
        wanted = set(keys)
        db = router.db_for_read(self.related_model, instance=instance)
        if not wanted:
            return [], db
        attname = self.key_field.attname
        found = set()
        queryset = self.related_model._base_manager.using(db).values_list(attname, flat=True)
        # A key the column cannot hold names no row; it is not sent to the database.
        wanted = {key for key in wanted if self._in_range(key, db)}
        for chunk in chunks(sorted(wanted, key=str), key_chunk_size(db)):
            found.update(queryset.filter(**{f"{attname}__in": chunk}))
        return [key for key in keys if key not in found], db

    def _in_range(self, key: Any, db: str) -> bool:
        internal = self.key_field.get_internal_type()
        ops = connections[db].ops
        if not isinstance(key, int) or internal not in ops.integer_field_ranges:
            return True
        low, high = ops.integer_field_range(internal)
        return (low is None or key >= low) and (high is None or key <= high)

    def check_on_save(self, model_instance: models.Model) -> None:
        """Called before the row is saved (weakrel's ``pre_save`` receiver)."""
        self.check_list(model_instance)

    def check_list(self, model_instance: models.Model) -> None:
        """Normalise the list, refuse duplicates and (``enforce``) keys to nothing.

        Run by a ``pre_save`` receiver, before Django opens the save's transaction
        handling, so a refused save leaves an enclosing ``atomic`` block usable.
        """
        value = getattr(model_instance, self.attname)
        if value is None and self.null:
            return
        keys = self.key_list(value)
        repeated = self.duplicates(keys)
        if repeated and not self.allow_duplicates:
            raise exceptions.ValidationError(
                {
                    self.name: exceptions.ValidationError(
                        self.error_messages["duplicate"],
                        code="duplicate",
                        params={"field": self.name, "value": repeated[0]},
                    )
                }
            )
        if self.enforce:
            known = {self.key_of(obj) for obj in self.get_cached_value(model_instance, ())}
            unknown = [key for key in dict.fromkeys(keys) if key not in known]
            db = router.db_for_read(self.related_model, instance=model_instance)
            with database_errors(db, f"checking {self.model.__name__}.{self.name}"):
                missing, db = self.missing(unknown, instance=model_instance)
            if missing:
                raise DanglingReferenceError(
                    f"{self.model.__name__}.{self.name}: no {self.related_model.__name__} "
                    f"with {self.key_field.name}={missing[0]!r} in database {db!r}.",
                    model=self.model,
                    field=self,
                    value=missing[0],
                    database=db,
                )
        setattr(model_instance, self.attname, keys)

    def pre_save(self, model_instance: models.Model, add: bool) -> list[Any] | None:
        value = getattr(model_instance, self.attname)
        if value is None and self.null:
            return None
        keys = self.key_list(value)
        setattr(model_instance, self.attname, keys)
        return keys

    def validate(self, value: Any, model_instance: models.Model) -> None:
        super().validate(value, model_instance)
        keys = self.key_list(value)
        repeated = self.duplicates(keys)
        if repeated and not self.allow_duplicates:
            raise exceptions.ValidationError(
                self.error_messages["duplicate"],
                code="duplicate",
                params={"field": self.name, "value": repeated[0]},
            )
        if self.enforce:
            missing, _db = self.missing(keys, instance=model_instance)
            if missing:
                raise exceptions.ValidationError(
                    self.error_messages["dangling"],
                    code="dangling",
                    params={
                        "model": self.related_model._meta.verbose_name,
                        "field": self.key_field.name,
                        "value": missing[0],
                    },
                )

    # -- deletion -----------------------------------------------------------------

    def collect_dependents(self, collector: WeakCollector, targets: list[models.Model]) -> None:
        """Apply ``on_delete`` to the rows whose list holds one of ``targets``."""
        if self.on_delete is DO_NOTHING:
            return
        keys = {self.key_of(target) for target in targets} - {None}
        alias = router.db_for_write(self.model, instance=targets[0])
        holders = self.model._base_manager.using(alias).filter(**{f"{self.name}__in": keys})
        rows = list(holders.only(self.attname))
        if not rows:
            return
        if self.on_delete is PROTECT:
            collector.add_protected(self, rows)
        elif self.on_delete is RESTRICT:
            collector.add_restricted(alias, self, rows)
        elif self.on_delete is PULL:
            # Keys pulled in earlier rounds stay pulled: the last update of a row wins.
            pulled = collector.__dict__.setdefault("weakrel_pulled", defaultdict(set))
            pulled[alias, self] |= keys
            gone = pulled[alias, self]
            by_list: dict[tuple, list[models.Model]] = defaultdict(list)
            for row in rows:
                by_list[tuple(k for k in getattr(row, self.attname) if k not in gone)].append(row)
            for kept, objs in by_list.items():
                collector.add_field_update(alias, self, kept, objs)
        else:
            raise ValueError(f"Unsupported on_delete for {self}: {self.on_delete!r}")

    # -- integrity scan (weakrel_check) -------------------------------------------

    def scan_keys(self, value: Any) -> list[Any]:
        """The target keys one row's list holds, for ``weakrel.scanner``."""
        return value if isinstance(value, list) else []

    def pull_keys(self, queryset: models.QuerySet, keys: Iterable[Any]) -> int:
        """Remove ``keys`` from the lists of the rows of ``queryset``; rows changed.

        A read-modify-write: the rows are read under ``select_for_update()`` (where the
        backend has it; SQLite serialises writers instead) so a list saved meanwhile
        is not overwritten, then one ``UPDATE`` is run per distinct resulting list.
        """
        gone = set(keys)
        db = queryset.db
        changed = 0
        with transaction.atomic(using=db):
            rows = queryset.select_for_update().order_by("pk").values_list("pk", self.attname)
            by_list: dict[tuple, list[Any]] = defaultdict(list)
            for pk, value in rows:
                held = self.scan_keys(value)
                kept = [key for key in held if key not in gone]
                if len(kept) != len(held):
                    by_list[tuple(kept)].append(pk)
            base = self.model._base_manager.using(db)
            for kept, pks in by_list.items():
                for chunk in chunks(pks, key_chunk_size(db)):
                    changed += base.filter(pk__in=chunk).update(**{self.attname: list(kept)})
        return changed

    # -- lookups ------------------------------------------------------------------

    def get_lookup(self, lookup_name: str):
        if lookup_name == "in":
            return ContainsAny
        if lookup_name == "exact":
            return _exact
        return super().get_lookup(lookup_name)

    def get_transform(self, name: str):
        if self.target_resolved and name not in ("pk", self.key_field.name):
            try:
                self.related_model._meta.get_field(name)
            except exceptions.FieldDoesNotExist:
                return super().get_transform(name)
        if not self.target_resolved:
            return super().get_transform(name)
        return partial(_ListForwardPath, name=name)

    # -- migrations and checks ----------------------------------------------------

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") is list:
            del kwargs["default"]
        rel = self.remote_field
        if isinstance(rel.model, str):
            app_label, _sep, model_name = rel.model.rpartition(".")
            kwargs["to"] = f"{app_label}.{model_name.lower()}" if app_label else model_name.lower()
        else:
            kwargs["to"] = rel.model._meta.label_lower
        if self.on_delete is not PULL:
            kwargs["on_delete"] = self.on_delete
        if rel.related_name is not None:
            kwargs["related_name"] = rel.related_name
        if rel.related_query_name is not None:
            kwargs["related_query_name"] = rel.related_query_name
        if not self.enforce:
            kwargs["enforce"] = False
        if self.allow_duplicates:
            kwargs["allow_duplicates"] = True
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        model = self.remote_field.model
        if isinstance(model, str) or model._meta.abstract:
            name = model if isinstance(model, str) else model._meta.label
            errors.append(
                checks.Error(
                    f"Field defines a weak relation with model '{name}', which is either "
                    "not installed, or is abstract.",
                    obj=self,
                    id="weakrel.E201",
                )
            )
        if self.on_delete not in self.supported_on_delete:
            names = ", ".join(f.__name__ for f in self.supported_on_delete)
            errors.append(
                checks.Error(
                    f"on_delete={getattr(self.on_delete, '__name__', self.on_delete)!s} is not "
                    f"supported by {self.__class__.__name__}; use one of {names}.",
                    obj=self,
                    id="weakrel.E202",
                )
            )
        return errors


# -- SQL ----------------------------------------------------------------------------


def contains_any_sql(compiler, connection, lhs, field, keys) -> tuple[str, list]:
    """SQL true when the JSON array in ``lhs`` holds at least one of ``keys``.

    Each backend gets its own containment test, with the keys as one JSON parameter,
    so no key list ever runs into a parameter limit.
    """
    values = list(dict.fromkeys(field.json_key(key) for key in keys))
    if not values:
        raise EmptyResultSet
    lhs_sql, params = compiler.compile(lhs)
    if connection.vendor == "postgresql":
        if len(values) == 1:
            return f"{lhs_sql} @> %s::jsonb", [*params, json.dumps(values)]
        return f"{lhs_sql} @> ANY(%s::jsonb[])", [*params, [json.dumps([v]) for v in values]]
    if connection.vendor == "mysql":
        if len(values) == 1:
            return f"JSON_CONTAINS({lhs_sql}, %s)", [*params, json.dumps(values)]
        return f"JSON_OVERLAPS({lhs_sql}, %s)", [*params, json.dumps(values)]
    if connection.vendor == "sqlite":
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs_sql}) AS weakrel_key "
            "WHERE weakrel_key.value IN (SELECT value FROM json_each(%s)))",
            [*params, json.dumps(values)],
        )
    raise NotImplementedError(f"WeakReferencesMany does not support {connection.vendor}.")


class ContainsAny(Lookup):
    """``tags__in=[tag, 3]``: the list holds at least one of these targets or keys."""

    lookup_name = "in"
    prepare_rhs = False

    def get_prep_lookup(self):
        from django.db.models.sql.query import Query

        field = self.lhs.output_field
        rhs = self.rhs
        if isinstance(rhs, Query):
            # A queryset of targets, evaluated in its own database (never a subquery).
            query = rhs.clone()
            query.subquery = False
            queryset = models.QuerySet(model=query.model, query=query, using=query._db)
            if not query.has_select_fields:
                queryset = queryset.values_list(field.key_field.attname, flat=True)
            rhs = [row[0] if isinstance(row, tuple) else row for row in queryset.order_by()]
        if isinstance(rhs, models.Model | str | bytes) or not hasattr(rhs, "__iter__"):
            rhs = [rhs]
        return [field.to_key(item) for item in rhs if item is not None]

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def as_sql(self, compiler, connection):
        return contains_any_sql(compiler, connection, self.lhs, self.lhs.output_field, self.rhs)


class ContainsKey(ContainsAny):
    """``tags=tag`` (or a key): the list holds this target, as for a ManyToManyField."""

    lookup_name = "exact"


class ListExact(JSONExact):
    """``tags_ids=[1, 2]``: the whole list, compared as JSON."""

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        return ("%s", [field.get_db_prep_value(value, connection, prepared=True)])


def _exact(lhs, rhs):
    """``tags=tag`` tests membership, as for a ManyToManyField; a list compares lists."""
    if isinstance(rhs, list | tuple):
        return ListExact(lhs, rhs)
    return ContainsKey(lhs, rhs)


class _ListForwardPath(RelatedPath):
    """``tags__name="x"``: Tag keys from Tag's database, then a containment test."""

    def __init__(self, lhs, name: str, **kwargs: Any) -> None:
        if not isinstance(lhs, RelatedPath):
            field = lhs.output_field
            kwargs = {
                "remote_model": field.related_model,
                "key_attname": field.key_field.attname,
            }
        super().__init__(lhs, name, **kwargs)

    @property
    def output_field(self):
        return _ListOutput(self, _ListForwardPath, _ContainsRemote)

    def get_lookup(self, name: str):
        return partial(_ContainsRemote, lookup_name=name)

    def get_transform(self, name: str):
        return partial(_ListForwardPath, name=name)


class _ContainsRemote(RemoteLookup):
    def as_sql(self, compiler, connection):
        keys = self.fetch_keys()
        return contains_any_sql(compiler, connection, self.lhs.column, self.lhs.column_field, keys)


class _ListReversePath(RelatedPath):
    """``articles__title="x"`` on Tag: the lists of matching articles, flattened."""

    def __init__(self, lhs, name: str, **kwargs: Any) -> None:
        super().__init__(lhs, name, **kwargs)
        if not isinstance(lhs, RelatedPath):
            self.column = Col(lhs.alias, lhs.target)
            self.column_field = lhs.output_field.field.key_field

    @property
    def output_field(self):
        return _ListOutput(self, _ListReversePath, _FlatRemote)

    def get_lookup(self, name: str):
        return partial(_FlatRemote, lookup_name=name)

    def get_transform(self, name: str):
        return partial(_ListReversePath, name=name)


class _FlatRemote(RemoteLookup):
    def fetch_keys(self) -> list[Any]:
        # The remote values are lists of keys: one IN over all of them.
        return list(dict.fromkeys(key for keys in super().fetch_keys() for key in keys))


class _ListOutput(_RemoteOutput):
    def __init__(self, path, path_class, lookup_class) -> None:
        super().__init__(path)
        self.path_class = path_class
        self.lookup_class = lookup_class

    def get_lookup(self, name: str):
        return partial(self.lookup_class, lookup_name=name)

    def get_transform(self, name: str):
        return partial(self.path_class, name=name)


class ReverseReferencesMany(ReverseWeakRelation):
    """The target's side: filtering (``Tag.objects.filter(articles__title=...)``) and
    the relation Django's deletion collector meets, which hands ``on_delete`` to weakrel.
    """

    def get_transform(self, name: str):
        try:
            self.related_model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            if name != "pk":
                return None
        return partial(_ListReversePath, name=name, **self._path_kwargs())

    def get_col(self, alias, output_field=None):
        return RelationCol(alias, self.field.key_field, output_field=self)

    def _path_kwargs(self) -> dict[str, Any]:
        return {"remote_model": self.related_model, "key_attname": self.field.attname}


# -- descriptors and managers ----------------------------------------------------------


class _Rows(list):
    """Prefetched objects, with the nested lookups Django applies to them next."""

    _prefetch_related_lookups: tuple = ()


def _stored_order(attname: str, keys: list[Any]):
    return Case(
        *[When(**{attname: key}, then=Value(i)) for i, key in enumerate(keys)],
        default=Value(len(keys)),
        output_field=IntegerField(),
    )


class ReferencesManyDescriptor(RelatedManagerDescriptor):
    """``article.tags``: a related manager; assigning a list of targets or keys sets
    ``article.tags_ids`` (saved with the article, like a ``ForeignKey``).
    """

    def __init__(self, field: WeakReferencesMany) -> None:
        self.field = field

    @cached_property
    def related_manager_cls(self):
        model = self.field.related_model
        return create_references_manager(model._default_manager.__class__, self.field)

    def __set__(self, instance: models.Model, value: Any) -> None:
        field = self.field
        value = list(value) if value is not None else []
        keys = field.key_list(value)
        setattr(instance, field.attname, keys)
        # Saved targets assigned here are known to exist: save() does not look them up.
        field.set_cached_value(
            instance,
            [obj for obj in value if isinstance(obj, models.Model) and not obj._state.adding],
        )
        cache = getattr(instance, "_prefetched_objects_cache", None)
        if cache is not None:
            cache.pop(field.name, None)


def create_references_manager(superclass: type, field: WeakReferencesMany) -> type:
    """Manager class over ``field``'s targets, bound to one instance holding the list."""

    class ReferencesManager(superclass):
        _queryset_class = related_queryset_class(superclass._queryset_class)

        def __init__(self, instance: models.Model) -> None:
            super().__init__()
            self.instance = instance
            self.model = field.related_model
            self.field = field
            self.prefetch_cache_name = field.name

        def __call__(self, *, manager: str) -> ReferencesManager:
            manager = getattr(self.model, manager)
            return create_references_manager(manager.__class__, field)(self.instance)

        do_not_call_in_templates = True

        def stored_keys(self) -> list[Any]:
            """The distinct keys of the list, in stored order."""
            return list(dict.fromkeys(field.key_list(getattr(self.instance, field.attname))))

        def _apply_rel_filters(self, queryset):
            """The targets named by the list, ordered as stored (first occurrence)."""
            keys = self.stored_keys()
            queryset._add_hints(instance=self.instance)
            if self._db:
                queryset = queryset.using(self._db)
            if not keys:
                queryset = queryset.none()
            else:
                attname = field.key_field.attname
                queryset = queryset.filter(**{f"{attname}__in": keys}).order_by(
                    _stored_order(attname, keys)
                )
            queryset._weakrel_keys = tuple(keys)
            return queryset

        def get_queryset(self):
            cache = getattr(self.instance, "_prefetched_objects_cache", {})
            cached = cache.get(self.prefetch_cache_name)
            # A prefetched result counts only while the list is the one it was made for.
            if cached is not None and cached._weakrel_keys == tuple(self.stored_keys()):
                return cached
            return self._apply_rel_filters(super().get_queryset())

        def get_prefetch_querysets(self, instances, querysets=None):
            queryset = prefetch_start(querysets, super().get_queryset, instances)
            lists = {
                id(inst): list(dict.fromkeys(field.key_list(getattr(inst, field.attname))))
                for inst in instances
            }
            wanted = {key for keys in lists.values() for key in keys}
            lookups = queryset._prefetch_related_lookups
            base = queryset._chain()
            base._prefetch_related_lookups = ()
            found = list(filter_in(base, field.key_field.attname, sorted(wanted, key=str)))
            by_key = {field.key_of(obj): obj for obj in found}
            rank = {key: i for i, key in enumerate(by_key)}
            ordered = bool(queryset.query.order_by)
            rows, owner, used = _Rows(), {}, set()
            for inst in instances:
                keys = [key for key in lists[id(inst)] if key in by_key]
                if ordered:  # an explicit Prefetch ordering wins over the stored one
                    keys.sort(key=rank.__getitem__)
                for key in keys:
                    obj = copy.copy(by_key[key]) if key in used else by_key[key]
                    used.add(key)
                    owner[id(obj)] = id(inst)
                    rows.append(obj)
            rows._prefetch_related_lookups = lookups
            return rows, lambda obj: owner[id(obj)], id, False, self.prefetch_cache_name, False

        # -- writing: each call saves the instance's list at once -----------------

        def _save(self, keys: list[Any]) -> None:
            if self.instance._state.adding:
                raise ValueError(
                    f'"{self.instance!r}" needs to be saved before its {field.name} can be '
                    "changed through the manager; assign the list and save() instead."
                )
            setattr(self.instance, field.attname, keys)
            self.instance.save(update_fields=[field.name])

        def add(self, *objs: Any) -> None:
            """Append targets (instances or keys) not already in the list, and save."""
            keys = field.key_list(getattr(self.instance, field.attname))
            for key in field.key_list(objs):
                if field.allow_duplicates or key not in keys:
                    keys.append(key)
            self._save(keys)

        add.alters_data = True

        def remove(self, *objs: Any) -> None:
            """Drop every occurrence of these targets from the list, and save."""
            gone = set(field.key_list(objs))
            keys = field.key_list(getattr(self.instance, field.attname))
            self._save([key for key in keys if key not in gone])

        remove.alters_data = True

        def set(self, objs: Iterable[Any]) -> None:
            """Replace the list (order kept), and save."""
            self._save(field.key_list(objs))

        set.alters_data = True

        def clear(self) -> None:
            self._save([])

        clear.alters_data = True

        def create(self, **kwargs: Any) -> models.Model:
            """Create a target in its own database, then append it and save."""
            db = router.db_for_write(self.model, instance=self.instance)
            obj = self.model._default_manager.db_manager(db).create(**kwargs)
            self.add(obj)
            return obj

        create.alters_data = True

    return ReferencesManager


class ReverseReferencesDescriptor(RelatedManagerDescriptor):
    """``tag.articles``: a related manager over the rows whose list holds this tag."""

    def __init__(self, field: WeakReferencesMany) -> None:
        self.field = field

    @cached_property
    def related_manager_cls(self):
        model = self.field.model
        return create_reverse_references_manager(model._default_manager.__class__, self.field)

    def __set__(self, instance: models.Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a related set is prohibited. "
            f"Assign {self.field.model.__name__}.{self.field.name} instead."
        )


def create_reverse_references_manager(superclass: type, field: WeakReferencesMany) -> type:
    class ReverseReferencesManager(superclass):
        _queryset_class = related_queryset_class(superclass._queryset_class)

        def __init__(self, instance: models.Model) -> None:
            super().__init__()
            self.instance = instance
            self.model = field.model
            self.field = field
            self.key = field.key_of(instance)
            self.prefetch_cache_name = field.accessor_name

        def __call__(self, *, manager: str) -> ReverseReferencesManager:
            manager = getattr(self.model, manager)
            return create_reverse_references_manager(manager.__class__, field)(self.instance)

        do_not_call_in_templates = True

        def _apply_rel_filters(self, queryset):
            queryset._add_hints(instance=self.instance)
            if self._db:
                queryset = queryset.using(self._db)
            return queryset.filter(**{field.name: self.key})

        def get_queryset(self):
            try:
                return self.instance._prefetched_objects_cache[self.prefetch_cache_name]
            except (AttributeError, KeyError):
                if self.key is None:
                    raise ValueError(
                        f'"{self.instance!r}" needs to have a value for field '
                        f'"{field.key_field.attname}" before this relationship can be used.'
                    ) from None
                return self._apply_rel_filters(super().get_queryset())

        def get_prefetch_querysets(self, instances, querysets=None):
            queryset = prefetch_start(querysets, super().get_queryset, instances)
            keys = {field.key_of(inst) for inst in instances} - {None}
            lookups = queryset._prefetch_related_lookups
            base = queryset._chain()
            base._prefetch_related_lookups = ()
            rows, owner = _Rows(), {}
            if keys:
                for obj in base.filter(**{f"{field.name}__in": keys}):
                    first = True
                    for key in dict.fromkeys(field.key_list(getattr(obj, field.attname))):
                        if key in keys:
                            row = obj if first else copy.copy(obj)
                            first = False
                            owner[id(row)] = key
                            rows.append(row)
            rows._prefetch_related_lookups = lookups
            return (
                rows,
                lambda obj: owner[id(obj)],
                field.key_of,
                False,
                self.prefetch_cache_name,
                False,
            )

    return ReverseReferencesManager
