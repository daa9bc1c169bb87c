from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from example_project.shop.models import Customer, Order, OrderLine, Product, Profile
from weakrel.admin import WeakModelAdmin, WeakTabularInline


@admin.register(Customer)
class CustomerAdmin(WeakModelAdmin):
    list_display = ["name", "email"]
    search_fields = ["name", "email"]
    readonly_fields = ["orders_link"]

    @admin.display(description="orders")
    def orders_link(self, customer):
        if customer.pk is None:
            return "-"
        url = reverse("admin:shop_order_changelist") + f"?customer_id={customer.pk}"
        return format_html('<a href="{}">{} orders</a>', url, customer.orders.count())


@admin.register(Product)
class ProductAdmin(WeakModelAdmin):
    list_display = ["sku", "name", "price"]
    search_fields = ["sku", "name"]


class OrderLineInline(WeakTabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(WeakModelAdmin):
    list_display = ["__str__", "customer", "total", "created"]
    inlines = [OrderLineInline]


@admin.register(Profile)
class ProfileAdmin(WeakModelAdmin):
    list_display = ["__str__", "customer"]
