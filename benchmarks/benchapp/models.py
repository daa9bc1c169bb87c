"""Benchmark models: the same shop twice, once weak across two databases, once native."""

from django.db import models

import weakrel


class WCustomer(models.Model):  # database "default"
    name = models.CharField(max_length=50)


class WProduct(models.Model):  # database "default"
    name = models.CharField(max_length=50)


class WOrder(models.Model):  # database "orders"
    customer = weakrel.WeakForeignKey(WCustomer, weakrel.CASCADE, related_name="orders")
    total = models.IntegerField()


class WLine(models.Model):  # database "orders"
    order = weakrel.WeakForeignKey(WOrder, weakrel.CASCADE, related_name="lines")
    product = weakrel.WeakForeignKey(WProduct, weakrel.PROTECT, related_name="lines")
    quantity = models.IntegerField()


class NCustomer(models.Model):  # database "native"
    name = models.CharField(max_length=50)


class NProduct(models.Model):
    name = models.CharField(max_length=50)


class NOrder(models.Model):
    customer = models.ForeignKey(NCustomer, models.CASCADE, related_name="orders")
    total = models.IntegerField()


class NLine(models.Model):
    order = models.ForeignKey(NOrder, models.CASCADE, related_name="lines")
    product = models.ForeignKey(NProduct, models.PROTECT, related_name="lines")
    quantity = models.IntegerField()


class WComment(models.Model):  # database "orders": a generic key to two types
    target = weakrel.WeakGenericForeignKey(
        to=[WCustomer, WProduct], on_delete=weakrel.CASCADE, related_name="comments"
    )


class WNote(models.Model):  # database "orders": the same rows' plain weak key
    customer = weakrel.WeakForeignKey(WCustomer, weakrel.CASCADE, related_name="notes")
