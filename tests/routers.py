"""Routers used by the test suite (after Django's tests/multiple_database/routers.py)."""

from django.conf import settings

DJANGO_APPS = {"auth", "contenttypes", "admin", "sessions"}


class ModelRouter:
    """Send each model to the alias named for it in settings.WEAKREL_TEST_ROUTES.

    Models that are not listed stay in ``default``. Migrations follow the same map, so
    each table exists only in its own database and a query sent to the wrong alias
    fails instead of silently reading an empty table.
    """

    def _alias(self, model):
        # A proxy's rows are its concrete model's.
        label = model._meta.concrete_model._meta.label_lower
        return settings.WEAKREL_TEST_ROUTES.get(label, "default")

    def db_for_read(self, model, **hints):
        return self._alias(model)

    def db_for_write(self, model, **hints):
        return self._alias(model)

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if model_name is None:
            # Data migrations of Django's own apps (auth's proxy permissions) run
            # where their tables are.
            return db == "default" if app_label in DJANGO_APPS else None
        if app_label == "weakrel":
            # The cascade journal goes wherever weak targets live (weakrel decides).
            return None
        label = f"{app_label}.{model_name}"
        return settings.WEAKREL_TEST_ROUTES.get(label, "default") == db


class RecordingRouter:
    """Has no opinion, but remembers each question, to prove a code path asked."""

    calls: list[tuple[str, str, object]] = []

    def _record(self, method, model, hints):
        self.calls.append((method, model._meta.label, hints.get("instance")))

    def db_for_read(self, model, **hints):
        self._record("read", model, hints)

    def db_for_write(self, model, **hints):
        self._record("write", model, hints)


class OrdersOnlyRouter:
    """The documented AuthRouter pattern: an opinion about some models, None for the
    rest, which Django then reads from ``default``."""

    MODELS = {"shop.order", "shop.orderline"}

    def _alias(self, model, hints):
        return "orders" if model._meta.label_lower in self.MODELS else None

    def db_for_read(self, model, **hints):
        return self._alias(model, hints)

    def db_for_write(self, model, **hints):
        return self._alias(model, hints)
