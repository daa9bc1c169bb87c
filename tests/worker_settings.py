"""Settings of tests/worker_driver.py: the suite's, with django-tasks' database
backend, whose worker (``manage.py db_worker``) runs CASCADE_LATER's task in a process
of its own."""

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Small batches: a cascade of a few accounts takes several runs of the task.
WEAKREL = {"CASCADE_BATCH_SIZE": 3}
# Its tables from the models (migrate --run-syncdb), not from its migrations: one of
# them (0019) introspects the table on every database, even those the router keeps
# the table out of, and fails there on MariaDB.
MIGRATION_MODULES = {"django_tasks_database": None}
