"""An admin site over the core suite's models, for tests/test_admin*.py."""

from django.contrib import admin
from django.urls import path

from tests.blog.models import Article, Comment, Like, Tag
from tests.clinic.models import Appointment, Patient, Physician, Referral
from tests.shop.models import (
    Account,
    Customer,
    Order,
    OrderLine,
    Product,
    Profile,
    Region,
    Subscription,
)
from weakrel.admin import (
    PendingCascadeAdmin,
    WeakModelAdmin,
    WeakStackedInline,
    WeakTabularInline,
)
from weakrel.models import PendingCascade

site = admin.AdminSite(name="weakrel_test_admin")


class OrderLineInline(WeakTabularInline):
    """Over a native ForeignKey; the rows' products are weak keys."""

    model = OrderLine
    extra = 0


class OrderInline(WeakTabularInline):
    """HasMany: the customer's orders, in database "orders"."""

    model = Order
    extra = 0
    fields = ["total"]


class ProfileInline(WeakStackedInline):
    """HasOne: the customer's profile, in database "third"."""

    model = Profile
    extra = 0


@admin.register(Order, site=site)
class OrderAdmin(WeakModelAdmin):
    list_display = ["id", "customer", "total"]
    list_filter = ["customer", "customer__name", "customer__region"]
    search_fields = ["customer__name"]
    inlines = [OrderLineInline]


@admin.register(Customer, site=site)
class CustomerAdmin(WeakModelAdmin):
    list_display = ["id", "name", "region"]
    inlines = [OrderInline, ProfileInline]


@admin.register(Profile, site=site)
class ProfileAdmin(WeakModelAdmin):
    list_display = ["id", "customer"]


@admin.register(Product, site=site)
class ProductAdmin(WeakModelAdmin):
    list_display = ["id", "name", "sku"]


class AppointmentInline(WeakTabularInline):
    """The through rows of Physician.patients (HasManyThrough), in database "orders"."""

    model = Appointment
    extra = 0


class ReferralInline(WeakTabularInline):
    """Two weak keys to Physician: fk_name chooses."""

    model = Referral
    fk_name = "referrer"
    extra = 0


@admin.register(Physician, site=site)
class PhysicianAdmin(WeakModelAdmin):
    inlines = [AppointmentInline, ReferralInline]


class SubscriptionInline(WeakTabularInline):
    """An invoice PROTECTs its subscription."""

    model = Subscription
    extra = 0


@admin.register(Account, site=site)
class AccountAdmin(WeakModelAdmin):
    inlines = [SubscriptionInline]


class ArticleInline(WeakTabularInline):
    """The articles (database "default") whose Article.tags list holds the tag."""

    model = Article
    extra = 0


@admin.register(Tag, site=site)
class TagAdmin(WeakModelAdmin):
    inlines = [ArticleInline]


@admin.register(Comment, site=site)
class CommentAdmin(WeakModelAdmin):
    """A generic key: Comment.target is an article (default) or a product (third)."""

    list_display = ["id", "text", "target"]
    list_per_page = 20


@admin.register(Like, site=site)
class LikeAdmin(WeakModelAdmin):
    """A nullable generic key: an article or a photo (a UUID key), or nothing."""

    list_display = ["id", "target"]


site.register(Article, WeakModelAdmin)
site.register(Region)
site.register(Patient)

site.register(PendingCascade, PendingCascadeAdmin)

urlpatterns = [path("admin/", site.urls)]
