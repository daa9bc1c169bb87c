"""ReferencesMany: an ordered list of keys to rows of another database, in one column.

Given::

    class Article(Model):                        # database "default"
        tags = WeakReferencesMany("blog.Tag", related_name="articles")

    class Tag(Model):                            # database "orders"
        name = CharField(max_length=50)

``WeakReferencesMany`` is a ``JSONField`` whose column, ``tags_ids`` (``<name>_ids``,
as ``ForeignKey`` adds ``_id``), holds a JSON array of Tag keys. This module says
what differs from the other kinds:

* ``article.tags_ids`` is the raw list; assigning ``article.tags = [tag, 3]`` sets it;
* on save, the keys must be distinct (unless ``allow_duplicates``) and, with
  ``enforce``, name existing rows, checked in one query for the whole list;
* deleting a tag removes its key from every list (``PULL``), or is refused
  (``PROTECT``, ``RESTRICT``), inside the core's all-databases transaction;
* :class:`ReverseReferencesMany`, the target's private field.

The accessors and managers (``article.tags``, ``tag.articles``) are in
``references_descriptors``; the JSON containment lookups in ``references_lookups``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, overload

from django.core import exceptions
from django.db import models, transaction
from django.db.models import DO_NOTHING, PROTECT, RESTRICT
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext_lazy as _

from weakrel import routing
from weakrel.base import WeakRel, WeakRelationField
from weakrel.deletion import PULL, collector_hook
from weakrel.enforcement import check_keys
from weakrel.generics import _GT, _M, _ST
from weakrel.relations.references_descriptors import (
    ReferencesManyDescriptor,
    ReverseReferencesDescriptor,
)
from weakrel.relations.references_lookups import (
    ContainsAny,
    ListForwardPath,
    ListReversePath,
    exact,
)
from weakrel.reverse import ReverseSide
from weakrel.routing import chunks, key_chunk_size

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper

    from weakrel.deletion import WeakCollector
    from weakrel.relations.references_descriptors import ReferencesManager


class KeyList(list[Any]):
    """The keys of a ``WeakReferencesMany`` on an instance: a list whose ``str()`` is
    its JSON form, which is what Django's XML serializer writes (and reads back)."""

    def __str__(self) -> str:
        return json.dumps(self, default=str)


class KeyListAttribute(DeferredAttribute):
    """``article.tags_ids``: whatever list is assigned is kept as a :class:`KeyList`."""

    def __set__(self, instance: models.Model, value: Any) -> None:
        if isinstance(value, list) and not isinstance(value, KeyList):
            value = KeyList(value)
        instance.__dict__[self.field.attname] = value


class WeakReferencesMany(WeakRelationField[_ST, _GT], models.JSONField):
    """ReferencesMany: a JSON list of keys of ``to``, in any database.

    ``article.tags`` is a ``ReferencesManager[Tag]`` to a type checker; it is
    assigned a list of tags or keys.
    """

    description = _("Weak references (a list of keys of another model)")
    default_error_messages = {
        **models.JSONField.default_error_messages,
        "duplicate": _("%(field)s holds %(value)r more than once."),
        "dangling": _("%(model)s instance with %(field)s %(value)r does not exist."),
        "not_a_list": _("%(field)s must be a list of keys."),
    }
    supported_on_delete = (PULL, PROTECT, RESTRICT, DO_NOTHING)
    migration_path = "weakrel.references.WeakReferencesMany"
    check_ids = {"target": "weakrel.E201", "on_delete": "weakrel.E202", "clash": "weakrel.E203"}
    # Read by Django's schema editor (the field has a remote_field): no constraint.
    db_constraint = False
    descriptor_class = KeyListAttribute

    @overload
    def __init__(
        self: WeakReferencesMany[Iterable[_M | Any], ReferencesManager[_M]],
        to: type[_M],
        on_delete: Callable[..., Any] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: WeakReferencesMany[Iterable[Any], ReferencesManager[Any]],
        to: str,
        on_delete: Callable[..., Any] = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(
        self,
        to: type[models.Model] | str,
        on_delete: Callable[..., Any] = PULL,
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
        kwargs["rel"] = WeakRel(
            self, to, None, related_name, related_query_name, collector_hook(on_delete)
        )
        super().__init__(**kwargs)
        self.is_relation = False

    def get_attname(self) -> str:
        return f"{self.name}_ids"

    def forward_descriptor(self) -> ReferencesManyDescriptor:
        return ReferencesManyDescriptor(self)

    def reverse_field(self) -> ReverseReferencesMany:
        return ReverseReferencesMany(self)

    def reverse_descriptor(self, reverse: ReverseSide) -> ReverseReferencesDescriptor:
        return ReverseReferencesDescriptor(self)

    @property
    def foreign_related_fields(self) -> tuple[models.Field[Any, Any], ...]:
        # Read by Django's deletion Collector when it defers unneeded columns.
        return (self.key_field,)

    # -- values -------------------------------------------------------------------

    def to_key(self, value: Any) -> Any:
        """A target instance or a raw key, as the target's key (``"3"`` becomes 3)."""
        if not isinstance(value, models.Model):
            return self.target_key.to_python(value)
        if not isinstance(value, self.related_model._meta.concrete_model):  # type: ignore[arg-type]
            raise ValueError(
                f'Cannot use "{value!r}" in "{self.model.__name__}.{self.name}": it '
                f'must be a "{self.related_model._meta.object_name}" instance.'
            )
        key = self.key_of(value)
        if key is None:
            raise ValueError(f"Cannot use unsaved {value!r} in {self.model.__name__}.{self.name}.")
        return key

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

    def stored_keys(self, instance: models.Model) -> list[Any]:
        """The distinct keys of ``instance``'s list, in stored order."""
        return list(dict.fromkeys(self.key_list(getattr(instance, self.attname))))

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, list) and getattr(expression, "target", None) is self:
            return [self.key_field.to_python(key) for key in value]
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            value = [self.target_key.json(self.to_key(item)) for item in value]
        return super().get_prep_value(value)

    def value_from_object(self, obj: models.Model) -> Any:
        return getattr(obj, self.attname)

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        setattr(instance, self.name, data)

    def pre_save(self, model_instance: models.Model, add: bool) -> list[Any] | None:
        value = getattr(model_instance, self.attname)
        if value is None and self.null:
            return None
        keys = self.key_list(value)
        setattr(model_instance, self.attname, keys)
        return keys

    # -- enforcement --------------------------------------------------------------

    def repeated(self, keys: list[Any]) -> Any:
        """The first key held twice when duplicates are not allowed, else None."""
        seen: set[Any] = set()
        for key in keys:
            if key in seen and not self.allow_duplicates:
                return key
            seen.add(key)
        return None

    def _duplicate_error(self, key: Any) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            self.error_messages["duplicate"],
            code="duplicate",
            params={"field": self.name, "value": key},
        )

    def check_on_save(self, model_instance: models.Model) -> None:
        """Normalise the list, refuse duplicates and (``enforce``) keys to nothing.

        Run by a ``pre_save`` receiver, before Django opens the save's transaction
        handling, so a refused save leaves an enclosing ``atomic`` block usable.
        """
        value = getattr(model_instance, self.attname)
        if value is None and self.null:
            return
        keys = self.key_list(value)
        repeated = self.repeated(keys)
        if repeated is not None:
            raise exceptions.ValidationError({self.name: self._duplicate_error(repeated)})
        if self.enforce:
            # Saved targets assigned to the instance are known to exist.
            cached: Any = self.get_cached_value(model_instance, ())
            known = {self.key_of(obj) for obj in cached}
            check_keys(self, [(model_instance, key) for key in keys if key not in known])
        setattr(model_instance, self.attname, keys)

    def checked_value(self, value: Any) -> list[Any]:
        """A list written by ``WeakQuerySet.update()``: converted, and checked."""
        keys = self.key_list(value)
        repeated = self.repeated(keys)
        if repeated is not None:
            raise exceptions.ValidationError({self.name: self._duplicate_error(repeated)})
        if self.enforce:
            check_keys(self, [(None, key) for key in keys])
        return keys

    def check_batch(self, instances: list[models.Model]) -> None:
        """``check_references()``: every key of every list, one query per database."""
        check_keys(
            self,
            [
                (instance, key)
                for instance in instances
                if not (getattr(instance, self.attname) is None and self.null)
                for key in self.key_list(getattr(instance, self.attname))
            ],
        )

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        keys = self.key_list(value)
        repeated = self.repeated(keys)
        if repeated is not None:
            raise self._duplicate_error(repeated)
        if not self.enforce:
            return
        db = routing.db_for_read(self.related_model, instance=model_instance)
        missing = self.target_key.missing(keys, db)
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
        alias = collector.alias_for(self, targets)
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
            gone = collector.pulled[alias, self]
            gone |= keys
            by_list: dict[tuple[Any, ...], list[models.Model]] = defaultdict(list)
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

    def pull_keys(self, queryset: models.QuerySet[Any], keys: Iterable[Any]) -> int:
        """Remove ``keys`` from the lists of the rows of ``queryset``; rows changed."""
        gone = set(keys)
        return self.rewrite_lists(queryset, lambda held: [k for k in held if k not in gone])

    def append_key(self, queryset: models.QuerySet[Any], key: Any) -> int:
        """Append ``key`` to the lists of the rows of ``queryset`` that lack it."""
        return self.rewrite_lists(queryset, lambda held: held if key in held else [*held, key])

    def rewrite_lists(
        self, queryset: models.QuerySet[Any], change: Callable[[list[Any]], list[Any]]
    ) -> int:
        """Replace the list of each row of ``queryset`` with ``change(list)``.

        A read-modify-write: the rows are read locked (``routing.for_update()``: row
        locks, or SQLite's write lock) so a list saved meanwhile is not overwritten,
        then one ``UPDATE`` is run per distinct resulting list. Returns the number of
        rows changed.
        """
        db = queryset.db
        changed = 0
        with transaction.atomic(using=db):
            locked = routing.for_update(queryset, self.attname)
            rows = locked.order_by("pk").values_list("pk", self.attname)
            by_list: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
            for pk, value in rows:
                held = self.scan_keys(value)
                kept = change(held)
                if kept != held:
                    by_list[tuple(kept)].append(pk)
            base = self.model._base_manager.using(db)
            for keys, pks in by_list.items():
                for chunk in chunks(pks, key_chunk_size(db)):
                    changed += base.filter(pk__in=chunk).update(**{self.attname: list(keys)})
        return changed

    # -- lookups ------------------------------------------------------------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "in":
            return ContainsAny
        if lookup_name == "exact":
            return exact
        return super().get_lookup(lookup_name)

    def get_transform(self, name: str) -> Any:
        if not self.target_resolved:
            return super().get_transform(name)
        if name not in ("pk", self.key_field.name):
            try:
                self.related_model._meta.get_field(name)
            except exceptions.FieldDoesNotExist:
                return super().get_transform(name)
        return partial(ListForwardPath, name=name)

    # -- migrations ---------------------------------------------------------------

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") is list:
            del kwargs["default"]
        if self.on_delete is not PULL:
            kwargs["on_delete"] = self.on_delete
        if not self.enforce:
            kwargs["enforce"] = False
        if self.allow_duplicates:
            kwargs["allow_duplicates"] = True
        return name, path, args, kwargs


class ReverseReferencesMany(ReverseSide):
    """The target's side: filtering (``Tag.objects.filter(articles__title=...)``) and
    the relation Django's deletion collector meets, which hands ``on_delete`` to weakrel.
    """

    def path(self, name: str):
        return partial(
            ListReversePath,
            name=name,
            remote_model=self.related_model,
            key_attname=self.field.attname,
        )
