from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from example_project.shop import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", include("example_project.shop.api")),
    path("api/", include("example_project.clinic.api")),
    path("api/", include("example_project.blog.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
