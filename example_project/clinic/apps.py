from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "example_project.clinic"
    label = "clinic"
    verbose_name = "Clinic"
