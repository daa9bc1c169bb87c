"""The example project's one REST API: the shop's, the clinic's and the blog's routes
on one router, so the API root at ``/api/`` lists every endpoint."""

from django.urls import include, path

from example_project.blog import api as blog
from example_project.clinic import api as clinic
from example_project.shop import api as shop
from weakrel.rest_framework.relations import RelationRouter

router = RelationRouter()
for app_router in (shop.router, clinic.router, blog.router):
    router.registry.extend(app_router.registry)

urlpatterns = [path("", include(router.urls))]
