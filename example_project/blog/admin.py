from django.contrib import admin

from example_project.blog.models import Article, Tag
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
