from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from tests.api import generic, views
from weakrel.rest_framework.relations import RelationRouter

router = RelationRouter()
router.register("orders", views.OrderViewSet)
router.register("lo-orders", views.LimitOffsetOrderViewSet, basename="lo-order")
router.register("all-orders", views.UnpaginatedOrderViewSet, basename="all-order")
router.register("scoped-orders", views.ScopedOrderViewSet, basename="scoped-order")
router.register("customers", views.CustomerViewSet)
router.register("products", views.ProductViewSet)
router.register("lines", views.OrderLineViewSet)
router.register("profiles", views.ProfileViewSet)
router.register("physicians", views.PhysicianViewSet)
router.register("clinic-physicians", views.ClinicPhysicianViewSet, basename="clinic-physician")
router.register("clinic-patients", views.ClinicPatientViewSet, basename="clinic-patient")
router.register("articles", views.ArticleViewSet)
router.register("tags", views.TagViewSet)
router.register("pinboards", views.PinboardViewSet)
router.register("rs", views.RViewSet)
router.register_relation("customers", "orders", views.CustomerOrderViewSet)
router.register_relation("clinic-physicians", "patients", views.ClinicPhysicianPatientViewSet)
router.register_relation("clinic-patients", "physicians", views.ClinicPatientPhysicianViewSet)
router.register_relation("articles", "tags", views.ArticleTagViewSet)
router.register_relation("physicians", "patients", views.PhysicianPatientViewSet)
generic.register(router)

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
