"""ReferencesMany test models; tests/settings.py routes each to its database.

default: Article, Pinboard      orders: Tag, Gallery      third: Photo

Gallery lives on MariaDB in the postgres-mariadb pair, so its containment tests
run as JSON_CONTAINS / JSON_OVERLAPS there (PostgreSQL ``@>`` for Article).
"""

import uuid

from django.db import models

import weakrel


class Tag(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(models.Model):
    title = models.CharField(max_length=100, blank=True)
    tags = weakrel.WeakReferencesMany("blog.Tag", related_name="articles")


# One list per on_delete option, and the loose variants.
class Pinboard(models.Model):
    protected = weakrel.WeakReferencesMany(Tag, weakrel.PROTECT, related_name="+")
    restricted = weakrel.WeakReferencesMany(Tag, weakrel.RESTRICT, related_name="+")
    ignored = weakrel.WeakReferencesMany(Tag, weakrel.DO_NOTHING, enforce=False, related_name="+")
    repeated = weakrel.WeakReferencesMany(Tag, allow_duplicates=True, related_name="repeated_on")


class Photo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)


class Gallery(models.Model):
    title = models.CharField(max_length=50, blank=True)
    photos = weakrel.WeakReferencesMany(Photo, related_name="galleries")


# Polymorphic: WeakGenericForeignKey. Comment points at an article (default) or a
# product (third) from orders; one model per on_delete option besides.
class Comment(models.Model):
    text = models.TextField(blank=True)
    target = weakrel.WeakGenericForeignKey(
        to=["blog.Article", "shop.Product"], on_delete=weakrel.CASCADE, related_name="comments"
    )

    class Meta:
        ordering = ["pk"]


class Flag(models.Model):
    target = weakrel.WeakGenericForeignKey(
        to=[Article, Photo], on_delete=weakrel.PROTECT, related_name="flags"
    )


class Pin(models.Model):
    target = weakrel.WeakGenericForeignKey(
        to=[Article, "shop.Product"], on_delete=weakrel.RESTRICT, related_name="pins"
    )


class Like(models.Model):
    target = weakrel.WeakGenericForeignKey(
        to=[Article, Photo], on_delete=weakrel.SET_NULL, null=True, related_name="likes"
    )


class Sighting(models.Model):
    target = weakrel.WeakGenericForeignKey(
        to=[Article, "shop.Product"], on_delete=weakrel.DO_NOTHING, related_name="sightings"
    )


class LegacyNote(models.Model):
    """A converted GenericForeignKey table: its own columns, an integer id column."""

    object_type = models.CharField(max_length=100)
    object_id = models.PositiveIntegerField()
    target = weakrel.WeakGenericForeignKey(
        to=[Article],
        on_delete=weakrel.CASCADE,
        type_field="object_type",
        id_field="object_id",
        related_name="legacy_notes",
    )

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"], name="legacy_note_pair")]


# Polymorphic HasManyThrough: reader.favorites are articles (default) and products
# (third), linked by Favorite rows (orders).
class Reader(models.Model):
    name = models.CharField(max_length=50, blank=True)
    favorites = weakrel.WeakManyToManyField(to=[Article, "shop.Product"], through="blog.Favorite")


class Favorite(models.Model):
    reader = weakrel.WeakForeignKey(Reader, on_delete=weakrel.CASCADE, related_name="+")
    item = weakrel.WeakGenericForeignKey(
        to=[Article, "shop.Product"], on_delete=weakrel.CASCADE, related_name="favorited"
    )
    note = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "item_type", "item_id"], name="one_favorite")
        ]
