"""Settings of the example project: a shop split across two databases.

Customers and products live in ``default``, orders, order lines and profiles in
``orders`` (see ``routers.py``). By default both are SQLite files next to
``manage.py`` (or in ``WEAKREL_EXAMPLE_SQLITE_DIR``); ``WEAKREL_DB=postgres-mariadb``
puts ``default`` on PostgreSQL and ``orders`` on MariaDB, at the servers these
environment variables name (the test suite reads the same ones, tests/databases.py):

=============================  ==========================
``WEAKREL_PG_HOST``            ``127.0.0.1``
``WEAKREL_PG_PORT``            ``5432``
``WEAKREL_PG_USER``            ``postgres``
``WEAKREL_PG_PASSWORD``        (empty)
``WEAKREL_MARIADB_HOST``       ``127.0.0.1``
``WEAKREL_MARIADB_PORT``       ``3306``
``WEAKREL_MARIADB_USER``       ``root``
``WEAKREL_MARIADB_PASSWORD``   (empty)
``WEAKREL_EXAMPLE_PG_NAME``    ``weakrel_example_default``
``WEAKREL_EXAMPLE_MARIADB_NAME``  ``weakrel_example_orders``
=============================  ==========================
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "weakrel-example-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "weakrel",
    "example_project.shop",
    "example_project.clinic",
    "example_project.blog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "example_project.wsgi.application"


def _databases(pair: str) -> dict:
    if pair == "sqlite":
        directory = Path(os.environ.get("WEAKREL_EXAMPLE_SQLITE_DIR", BASE_DIR))
        return {
            alias: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": directory / f"example_{alias}.sqlite3",
            }
            for alias in ("default", "orders")
        }
    if pair == "postgres-mariadb":
        env = os.environ.get
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": env("WEAKREL_EXAMPLE_PG_NAME", "weakrel_example_default"),
                "HOST": env("WEAKREL_PG_HOST", "127.0.0.1"),
                "PORT": env("WEAKREL_PG_PORT", "5432"),
                "USER": env("WEAKREL_PG_USER", "postgres"),
                "PASSWORD": env("WEAKREL_PG_PASSWORD", ""),
            },
            "orders": {
                "ENGINE": "django.db.backends.mysql",
                "NAME": env("WEAKREL_EXAMPLE_MARIADB_NAME", "weakrel_example_orders"),
                "HOST": env("WEAKREL_MARIADB_HOST", "127.0.0.1"),
                "PORT": env("WEAKREL_MARIADB_PORT", "3306"),
                "USER": env("WEAKREL_MARIADB_USER", "root"),
                "PASSWORD": env("WEAKREL_MARIADB_PASSWORD", ""),
                "OPTIONS": {"charset": "utf8mb4"},
            },
        }
    raise ValueError(f"WEAKREL_DB must be 'sqlite' or 'postgres-mariadb', not {pair!r}")


DATABASES = _databases(os.environ.get("WEAKREL_DB", "sqlite"))
DATABASE_ROUTERS = ["example_project.routers.ShopRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True

STATIC_URL = "static/"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "weakrel.rest_framework.schema.IncludeAutoSchema",
    # A delete that PROTECT or RESTRICT refuses is a 409 on every view, not a 500.
    "EXCEPTION_HANDLER": "weakrel.rest_framework.exceptions.exception_handler",
}
# Request bodies and responses apart: ?fields= may leave any field out of a response.
SPECTACULAR_SETTINGS = {"COMPONENT_SPLIT_REQUEST": True}

try:  # Swagger UI and Redoc from this server, not a CDN, when the sidecar is installed
    import drf_spectacular_sidecar  # noqa: F401
except ImportError:
    pass
else:
    INSTALLED_APPS.append("drf_spectacular_sidecar")
    SPECTACULAR_SETTINGS |= {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
