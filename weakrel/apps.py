from django.apps import AppConfig, apps
from django.db.models.signals import pre_save


class WeakrelConfig(AppConfig):
    name = "weakrel"
    verbose_name = "Weak relations"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from weakrel.enforcement import check_on_save, track_loaded_keys

        pre_save.connect(check_on_save, dispatch_uid="weakrel.enforcement.check_on_save")
        track_loaded_keys()
        if apps.is_installed("rest_framework"):
            # Registers the DRF integration's system checks (Meta.includes, views).
            import weakrel.rest_framework.checks  # noqa: F401
