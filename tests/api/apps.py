from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tests.api"
    label = "api"
