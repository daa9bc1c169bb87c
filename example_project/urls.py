from django.contrib import admin
from django.urls import path

from example_project.shop import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    # REST API (example_project/shop/api.py), e.g.:
    # path("api/", include("example_project.shop.api")),
]
