from django.contrib import admin

from example_project.blog.models import Article, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    # "tags" is edited as a JSON list of Tag keys; saving checks that they exist.
    list_display = ["title", "tags_ids"]
    search_fields = ["title"]
