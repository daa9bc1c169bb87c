"""Settings for running the examples in docs/ (tests/docs/plugin.py): the example
project's, on test databases named after WEAKREL_DB and WEAKREL_DB_PREFIX like the
suite's own (tests/databases.py)."""

from example_project.settings import *  # noqa: F403
from tests.databases import database_settings

DATABASES = {
    alias: settings
    for alias, settings in database_settings().items()
    if alias in ("default", "orders")
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
