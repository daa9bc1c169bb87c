"""The cascade journal in the admin: read-only, one database at a time.

Each database that holds weak targets has its own journal, so the change list
reads the one chosen in the "database" filter (``default`` first).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, QueryDict

from weakrel import journal
from weakrel.models import PendingCascade


class JournalDatabaseFilter(admin.SimpleListFilter):
    title = "database"
    parameter_name = "journal"

    def lookups(self, request, model_admin):
        return [(alias, alias) for alias in journal.journal_aliases()]

    def value(self) -> str:
        choices = [alias for alias, _label in self.lookup_choices]
        chosen = super().value()
        return chosen if chosen in choices else (choices[0] if choices else "default")

    def queryset(self, request, queryset):
        return queryset.using(self.value())

    def choices(self, changelist):
        # No "All": rows of different databases cannot be listed as one queryset.
        for alias, label in self.lookup_choices:
            yield {
                "selected": self.value() == alias,
                "query_string": changelist.get_query_string({self.parameter_name: alias}),
                "display": label,
            }


class PendingCascadeAdmin(admin.ModelAdmin):
    """What deletes still have to do elsewhere; ``weakrel_check --resume`` does it."""

    list_display = ["id", "relation", "using", "key_count", "created", "last_error"]
    list_filter = [JournalDatabaseFilter]
    readonly_fields = ["cascade", "relation", "using", "keys", "created", "last_error"]

    @admin.display(description="deleted keys")
    def key_count(self, obj: PendingCascade) -> int:
        return len(obj.keys)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> PendingCascade | None:
        # The change list's filters travel as ``_changelist_filters``.
        filters = QueryDict(request.GET.get("_changelist_filters", ""))
        alias = request.GET.get("journal") or filters.get("journal")
        queryset = self.get_queryset(request)
        if alias in journal.journal_aliases():
            queryset = queryset.using(alias)
        try:
            return queryset.get(pk=object_id)
        except (PendingCascade.DoesNotExist, ValueError):
            return None


# Imported by the admin's autodiscover, and by projects that only use the mixins.
if apps.is_installed("django.contrib.admin") and not admin.site.is_registered(PendingCascade):
    admin.site.register(PendingCascade, PendingCascadeAdmin)
