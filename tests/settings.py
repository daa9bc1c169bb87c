from importlib.util import find_spec

from tests.databases import database_settings

SECRET_KEY = "weakrel-tests"
# The admin tests log a superuser in; the default hasher spends a second per password.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "weakrel",
    "tests.shop",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "tests.api",
    "tests.clinic",
    "tests.blog",
]
DATABASES = database_settings()
DATABASE_ROUTERS = ["tests.routers.ModelRouter"]
WEAKREL_TEST_ROUTES = {
    "shop.customer": "default",
    "shop.region": "third",
    "shop.order": "orders",
    "shop.orderline": "orders",
    "shop.product": "third",
    "shop.profile": "third",
    "shop.note": "default",
    "shop.shipment": "third",
    "shop.r": "default",
    "shop.a": "orders",
    "shop.uuidtarget": "third",
    "shop.chartarget": "third",
    "shop.keyholder": "orders",
    "shop.coupon": "orders",
    "shop.place": "third",
    "shop.restaurant": "third",
    "shop.landmark": "third",
    "shop.review": "orders",
    "shop.permit": "orders",
    "shop.listing": "orders",
    "shop.booking": "orders",
    "shop.label": "third",
    "shop.step": "orders",
    "shop.currency": "third",
    "shop.price": "orders",
    "shop.wallet": "orders",
    "shop.parcel": "orders",
    "shop.account": "default",
    "shop.folder": "default",
    "shop.page": "orders",
    "shop.revision": "third",
    "shop.mailbox": "third",
    "shop.ticket": "orders",
    "shop.reply": "orders",
    "shop.attachment": "third",
    "shop.subscription": "orders",
    "shop.invoice": "third",
    "shop.tombstone": "orders",
    "api.physician": "default",
    "api.patient": "default",
    "clinic.physician": "default",
    "clinic.surgeon": "default",
    "clinic.appointment": "orders",
    "clinic.patient": "third",
    "clinic.record": "default",
    "clinic.referral": "orders",
    "clinic.clinic": "default",
    "clinic.visit": "third",
    "blog.article": "default",
    "blog.tag": "orders",
    "blog.pinboard": "default",
    "blog.photo": "third",
    "blog.gallery": "orders",
    "blog.comment": "orders",
    "blog.flag": "third",
    "blog.pin": "default",
    "blog.like": "orders",
    "blog.sighting": "third",
    "blog.legacynote": "orders",
    "blog.reader": "default",
    "blog.favorite": "orders",
    "shop.consignment": "orders",
    "shop.certifieddelivery": "third",
    "shop.expressdelivery": "default",
}
# Background cascades (on_delete=CASCADE_LATER): Django's tasks framework, or its
# backport on Django 5.2. The suite runs tasks at once; tests/worker_driver.py runs
# them in a database worker process (tests/worker_settings.py).
if find_spec("django.tasks"):
    _tasks = "django.tasks"
else:
    _tasks = "django_tasks"
    INSTALLED_APPS.append("django_tasks")
TASKS = {"default": {"BACKEND": f"{_tasks}.backends.immediate.ImmediateBackend"}}
ROOT_URLCONF = "tests.api.urls"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "weakrel.rest_framework.schema.IncludeAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Admin integration (tests/test_admin.py, tests/admin_urls.py).
INSTALLED_APPS += [
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The live server of the browser tests serves the admin's CSS and JavaScript.
    "django.contrib.staticfiles",
]
STATIC_URL = "static/"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
