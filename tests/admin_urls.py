"""An admin site over the core suite's models, for tests/test_admin.py."""

from django.contrib import admin
from django.urls import path

from tests.shop.models import Customer, Order, OrderLine, Product, Profile, Region
from weakrel.admin import PendingCascadeAdmin, WeakModelAdmin, WeakTabularInline
from weakrel.models import PendingCascade

site = admin.AdminSite(name="weakrel_test_admin")


class OrderLineInline(WeakTabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order, site=site)
class OrderAdmin(WeakModelAdmin):
    list_display = ["id", "customer", "total"]
    inlines = [OrderLineInline]


@admin.register(Customer, site=site)
class CustomerAdmin(WeakModelAdmin):
    list_display = ["id", "name", "region"]


@admin.register(Profile, site=site)
class ProfileAdmin(WeakModelAdmin):
    list_display = ["id", "customer"]


@admin.register(Product, site=site)
class ProductAdmin(WeakModelAdmin):
    list_display = ["id", "name", "sku"]


site.register(Region)

site.register(PendingCascade, PendingCascadeAdmin)

urlpatterns = [path("admin/", site.urls)]
