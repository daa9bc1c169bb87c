from django.contrib import admin

from example_project.blog.models import Article, Comment, Tag
from weakrel.admin import WeakModelAdmin, WeakTabularInline


class ArticleInline(WeakTabularInline):
    """The articles (default) whose ``tags`` list holds the tag (orders)."""

    model = Article
    extra = 1


@admin.register(Tag)
class TagAdmin(WeakModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [ArticleInline]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    # "tags" is edited as a JSON list of Tag keys; saving checks that they exist.
    list_display = ["title", "tags_ids"]
    search_fields = ["title"]


@admin.register(Comment)
class CommentAdmin(WeakModelAdmin):
    """Comment.target is an article or a product: a link to either, sorted by the
    pair's columns; the form edits the pair as a type and a key, checked on save."""

    list_display = ["id", "text", "target"]
    list_filter = ["target_type"]
    search_fields = ["text"]
