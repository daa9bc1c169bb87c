"""ReferencesMany: articles in ``default`` keep an ordered list of tag keys; tags
live in ``orders``. Deleting a tag pulls its key out of every article.
"""

from django.db import models

import weakrel


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(models.Model):
    title = models.CharField(max_length=200)
    # Column "tags_ids": a JSON list of Tag keys, in the order given.
    tags = weakrel.WeakReferencesMany(Tag, related_name="articles", blank=True)

    def __str__(self):
        return self.title


class Comment(models.Model):
    """Polymorphic BelongsTo: a comment (``orders``) on an article or on a product
    (both ``default``). Columns ``target_type`` ("blog.article") and ``target_id``."""

    text = models.TextField()
    target = weakrel.WeakGenericForeignKey(
        to=[Article, "shop.Product"], on_delete=weakrel.CASCADE, related_name="comments"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.text
