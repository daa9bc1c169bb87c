"""The shop in the admin: a customer's orders and profile (database "orders") edited
on the customer's page; orders listed with links to their customers, filtered and
searched through them."""

from django.contrib import admin

from example_project.shop.models import Customer, Order, OrderLine, Product, Profile
from weakrel.admin import WeakModelAdmin, WeakStackedInline, WeakTabularInline


class OrderInline(WeakTabularInline):
    """HasMany across databases: Order.customer is a weak key."""

    model = Order
    fields = ["total", "created"]
    readonly_fields = ["created"]
    show_change_link = True
    extra = 0


class ProfileInline(WeakStackedInline):
    """HasOne: Profile.customer is a WeakOneToOneField."""

    model = Profile
    extra = 0


@admin.register(Customer)
class CustomerAdmin(WeakModelAdmin):
    list_display = ["name", "email", "country"]
    list_filter = ["country"]
    search_fields = ["name", "email"]
    inlines = [OrderInline, ProfileInline]


@admin.register(Product)
class ProductAdmin(WeakModelAdmin):
    list_display = ["sku", "name", "price"]
    search_fields = ["sku", "name"]


class OrderLineInline(WeakTabularInline):
    """Over a native ForeignKey (both in "orders"); the product is a weak key."""

    model = OrderLine
    extra = 0

    def get_queryset(self, request):
        # The rows' titles name their products: read them in one query.
        return super().get_queryset(request).prefetch_related("product")


@admin.register(Order)
class OrderAdmin(WeakModelAdmin):
    list_display = ["__str__", "customer", "total", "created"]
    list_filter = ["customer", "customer__country"]
    search_fields = ["customer__name", "customer__email"]
    inlines = [OrderLineInline]


@admin.register(Profile)
class ProfileAdmin(WeakModelAdmin):
    list_display = ["__str__", "customer"]
