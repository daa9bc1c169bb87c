ROUTES = {
    "wcustomer": "default",
    "wproduct": "default",
    "worder": "orders",
    "wline": "orders",
    "wcomment": "orders",
    "wnote": "orders",
}


class BenchRouter:
    def _alias(self, model):
        return ROUTES.get(model._meta.model_name, "native")

    def db_for_read(self, model, **hints):
        return self._alias(model)

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label != "benchapp":
            return db == "default"
        return model_name is None or self._alias_name(model_name) == db

    def _alias_name(self, model_name):
        return ROUTES.get(model_name, "native")
