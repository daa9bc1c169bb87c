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
