"""The example shop: customers and products in ``default``; orders, order lines and
profiles in ``orders`` (see ``example_project/routers.py``).

Relations that cross the two databases are weak; ``OrderLine.order`` stays inside
``orders`` and is an ordinary ForeignKey.
"""

from django.db import models

import weakrel


class Customer(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    # Two letters (ISO 3166); the admin filters orders by it (customer__country).
    country = models.CharField(max_length=2, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    name = models.CharField(max_length=100)
    sku = models.CharField(max_length=20, unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["sku"]

    def __str__(self):
        return f"{self.name} ({self.sku})"


class Order(models.Model):
    customer = weakrel.WeakForeignKey(Customer, on_delete=weakrel.CASCADE, related_name="orders")
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    created = models.DateTimeField(auto_now_add=True)

    # bulk_create(), bulk_update() and update() check customer keys as save() does.
    objects = weakrel.WeakManager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Order #{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = weakrel.WeakForeignKey(Product, on_delete=weakrel.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        # Reads the product from "default" unless it was prefetched (the admin does).
        return f"{self.quantity} x {self.product.name}"


class Profile(models.Model):
    customer = weakrel.WeakOneToOneField(
        Customer, on_delete=weakrel.CASCADE, related_name="profile"
    )
    bio = models.TextField(blank=True)

    def __str__(self):
        return f"Profile of customer {self.customer_id}"
