"""Which database each model of the example project lives in."""

# Model label (lower case) -> database alias. Everything else stays in ``default``.
ROUTES = {
    "shop.order": "orders",
    "shop.orderline": "orders",
    "shop.profile": "orders",
    "clinic.appointment": "orders",
    "blog.tag": "orders",
    "blog.comment": "orders",
}


class ShopRouter:
    """Route reads, writes and migrations by model label.

    ``allow_migrate`` follows the same map, so each table exists in exactly one
    database: a query sent to the wrong alias fails instead of reading an empty table.
    """

    def _alias(self, model) -> str:
        return ROUTES.get(model._meta.label_lower, "default")

    def db_for_read(self, model, **hints):
        return self._alias(model)

    def db_for_write(self, model, **hints):
        return self._alias(model)

    def allow_relation(self, obj1, obj2, **hints):
        # Native relations stay inside one database; weak ones are not checked here.
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if model_name is None or app_label == "weakrel":
            # weakrel puts its cascade journal wherever weak targets live.
            return None
        return ROUTES.get(f"{app_label}.{model_name}", "default") == db
