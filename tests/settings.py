from tests.databases import database_settings

SECRET_KEY = "weakrel-tests"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "weakrel",
    "tests.shop",
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
    "clinic.physician": "default",
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
}
