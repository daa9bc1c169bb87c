"""Models of the core suite; tests/settings.py routes each to its database.

default: Customer, Note, R          orders: Order, OrderLine, A, KeyHolder
third:   Region, Product, Profile, Shipment, UUIDTarget, CharTarget
"""

import uuid

from django.db import models

import weakrel


class Region(models.Model):
    name = models.CharField(max_length=50)


class Customer(models.Model):
    name = models.CharField(max_length=100)
    region = weakrel.WeakForeignKey(
        Region, on_delete=weakrel.SET_NULL, null=True, blank=True, related_name="customers"
    )

    def __str__(self):
        return self.name


class Order(models.Model):
    customer = weakrel.WeakForeignKey(Customer, on_delete=weakrel.CASCADE, related_name="orders")
    total = models.IntegerField(default=0)


class Product(models.Model):
    name = models.CharField(max_length=100)
    sku = models.CharField(max_length=20, unique=True)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = weakrel.WeakForeignKey(
        "shop.Product", on_delete=weakrel.PROTECT, related_name="lines"
    )
    quantity = models.IntegerField(default=1)


class Profile(models.Model):
    customer = weakrel.WeakOneToOneField(
        Customer, on_delete=weakrel.CASCADE, related_name="profile"
    )
    bio = models.CharField(max_length=100, blank=True)


class Note(models.Model):
    order = weakrel.WeakForeignKey(
        Order, on_delete=weakrel.SET_NULL, null=True, related_name="notes"
    )
    text = models.CharField(max_length=100, blank=True)


class Shipment(models.Model):
    order = weakrel.WeakForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")


# One relation per on_delete option, after Django's tests/delete.
class R(models.Model):
    name = models.CharField(max_length=30, blank=True)


def default_r():
    return R.objects.get_or_create(name="default")[0].pk


class A(models.Model):
    name = models.CharField(max_length=30, blank=True)
    cascade = weakrel.WeakForeignKey(R, weakrel.CASCADE, null=True, related_name="+")
    protect = weakrel.WeakForeignKey(R, weakrel.PROTECT, null=True, related_name="+")
    restrict = weakrel.WeakForeignKey(R, weakrel.RESTRICT, null=True, related_name="+")
    setnull = weakrel.WeakForeignKey(R, weakrel.SET_NULL, null=True, related_name="+")
    setdefault = weakrel.WeakForeignKey(
        R, weakrel.SET_DEFAULT, null=True, default=default_r, related_name="+"
    )
    donothing = weakrel.WeakForeignKey(R, weakrel.DO_NOTHING, null=True, related_name="+")
    # A RESTRICT row may go when a CASCADE through another path takes it too.
    cascade_owner = weakrel.WeakForeignKey(R, models.CASCADE, null=True, related_name="owned_as")


class UUIDTarget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)


class CharTarget(models.Model):
    code = models.CharField(primary_key=True, max_length=10)


class KeyHolder(models.Model):
    uuid_target = weakrel.WeakForeignKey(
        UUIDTarget, weakrel.CASCADE, null=True, related_name="holders"
    )
    char_target = weakrel.WeakForeignKey(
        CharTarget, weakrel.CASCADE, null=True, related_name="holders"
    )
    product = weakrel.WeakForeignKey(
        Product, weakrel.CASCADE, to_field="sku", null=True, related_name="holders"
    )
    unchecked = weakrel.WeakForeignKey(
        Product, weakrel.DO_NOTHING, null=True, enforce=False, related_name="+"
    )


class Coupon(models.Model):
    """Bulk writes checked too: the manager is weakrel's."""

    customer = weakrel.WeakForeignKey(Customer, weakrel.CASCADE, related_name="coupons")
    code = models.CharField(max_length=10, blank=True)

    objects = weakrel.WeakManager()


class Place(models.Model):
    name = models.CharField(max_length=50)


# Subclasses declared before the weak keys to their parent (Review, below)...
class Restaurant(Place):
    """A multi-table child: its primary key is the link to its parent."""

    seats = models.IntegerField(default=10)


class PlaceProxy(Place):
    class Meta:
        proxy = True


class Review(models.Model):
    place = weakrel.WeakForeignKey(Place, weakrel.CASCADE, related_name="reviews")
    stars = models.IntegerField(default=3)


class Permit(models.Model):
    place = weakrel.WeakForeignKey(Place, weakrel.PROTECT, related_name="permits")


class Listing(models.Model):
    """A weak key to a proxy: followed when the concrete row is deleted."""

    place = weakrel.WeakForeignKey(PlaceProxy, weakrel.CASCADE, related_name="listings")


# ...and after them.
class Landmark(Place):
    height = models.IntegerField(default=0)


class PlaceAlias(Place):
    class Meta:
        proxy = True


class Booking(models.Model):
    """A weak key to a multi-table child, in another database."""

    restaurant = weakrel.WeakForeignKey(Restaurant, weakrel.CASCADE, related_name="bookings")


# Twins for differential tests: the same shape with a weak key across databases and
# with a ForeignKey in one database (tests/test_parity.py).
class Label(models.Model):
    text = models.CharField(max_length=20, null=True)


class Parcel(models.Model):
    name = models.CharField(max_length=20)
    label = weakrel.WeakForeignKey(Label, weakrel.SET_NULL, null=True, related_name="parcels")


class NativeLabel(models.Model):
    text = models.CharField(max_length=20, null=True)


class NativeParcel(models.Model):
    name = models.CharField(max_length=20)
    label = models.ForeignKey(NativeLabel, models.SET_NULL, null=True, related_name="parcels")


class Step(models.Model):
    """Meta.order_with_respect_to over a weak key."""

    customer = weakrel.WeakForeignKey(Customer, weakrel.CASCADE, related_name="steps")
    title = models.CharField(max_length=20)

    class Meta:
        order_with_respect_to = "customer"


class CurrencyManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Currency(models.Model):
    """A target with a natural key (serialization tests)."""

    code = models.CharField(max_length=3, unique=True)

    objects = CurrencyManager()

    def natural_key(self):
        return (self.code,)


class Price(models.Model):
    currency = weakrel.WeakForeignKey(Currency, weakrel.PROTECT, related_name="prices")
    amount = models.IntegerField(default=0)


# RESTRICT lifted by a cascade through a weak key (tests/test_deletion.py).
class Hub(models.Model):
    pass


class Spoke(models.Model):
    hub = weakrel.WeakForeignKey(Hub, weakrel.CASCADE, related_name="spokes")


class Rim(models.Model):
    hub = models.ForeignKey(Hub, models.RESTRICT, related_name="rims")
    spoke = models.ForeignKey(Spoke, models.CASCADE, related_name="rims")


class Wallet(models.Model):
    """Lists of keys through Django's serializers (tests/test_serialization.py)."""

    currencies = weakrel.WeakReferencesMany(Currency, related_name="wallets")
    targets = weakrel.WeakReferencesMany(UUIDTarget, related_name="wallets")


# Proxies of a model that declares a weak key (tests/test_inheritance.py).
class OrderProxy(Order):
    class Meta:
        proxy = True


class OrderProxyProxy(OrderProxy):
    class Meta:
        proxy = True


# Background cascades, on_delete=CASCADE_LATER (tests/test_cascade_later.py and
# tests/worker_driver.py). An account's mailbox goes with it; its tickets and
# subscriptions go in a task, the tickets' replies and attachments with them.
class Account(models.Model):
    name = models.CharField(max_length=50)


class Mailbox(models.Model):
    account = weakrel.WeakOneToOneField(Account, weakrel.CASCADE, related_name="mailbox")


class Ticket(models.Model):
    account = weakrel.WeakForeignKey(Account, weakrel.CASCADE_LATER, related_name="tickets")
    subject = models.CharField(max_length=50, blank=True)


class Reply(models.Model):
    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="replies")


class Attachment(models.Model):
    ticket = weakrel.WeakForeignKey(Ticket, weakrel.CASCADE, related_name="attachments")


class Subscription(models.Model):
    """Deleted in a task, unless an invoice protects it: decided at the delete."""

    account = weakrel.WeakForeignKey(Account, weakrel.CASCADE_LATER, related_name="subscriptions")


class Invoice(models.Model):
    subscription = weakrel.WeakForeignKey(Subscription, weakrel.PROTECT, related_name="invoices")


class Tombstone(models.Model):
    """Written for each deleted ticket by a receiver some tests connect, in the same
    transaction: a batch that ran twice would leave two."""

    ticket_id = models.BigIntegerField()


# Rows that only weak relations depend on: cascaded with one DELETE per table.
class Folder(models.Model):
    name = models.CharField(max_length=50, blank=True)


class Page(models.Model):
    folder = weakrel.WeakForeignKey(Folder, weakrel.CASCADE, related_name="pages")


class Revision(models.Model):
    page = weakrel.WeakForeignKey(Page, weakrel.CASCADE, related_name="revisions")


# Polymorphic HasOne: a consignment's delivery is certified (third) or express
# (default), as its delivery_type says.
class Consignment(models.Model):
    delivery_type = models.CharField(max_length=100, blank=True)
    delivery = weakrel.WeakGenericHasOne(
        to=["shop.CertifiedDelivery", "shop.ExpressDelivery"], discriminator="delivery_type"
    )


class CertifiedDelivery(models.Model):
    consignment = weakrel.WeakOneToOneField(
        Consignment, on_delete=weakrel.CASCADE, related_name="certified_delivery"
    )
    signed_by = models.CharField(max_length=50, blank=True)


class ExpressDelivery(models.Model):
    consignment = weakrel.WeakOneToOneField(
        Consignment, on_delete=weakrel.CASCADE, related_name="express_delivery"
    )
    hours = models.IntegerField(default=24)
