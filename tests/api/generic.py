"""Serializers and views of the polymorphic key (tests/blog Comment) over DRF.

Comment (orders) points at an Article (default) or a Product (third).
"""

from rest_framework import viewsets

from tests.api.serializers import ArticleSerializer, ProductSerializer
from tests.api.views import PageSizePagination
from tests.blog.models import Article, Comment, Like
from tests.shop.models import Product
from weakrel.rest_framework import IncludeModelSerializer, IncludeViewSetMixin
from weakrel.rest_framework.relations import RelationViewSetMixin


class CommentedArticleSerializer(IncludeModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "title"]
        includes = {
            "comments": "tests.api.generic.CommentSerializer",
            "tags": "tests.api.serializers.TagSerializer",
        }


class CommentedProductSerializer(IncludeModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name"]
        includes = {"comments": "tests.api.generic.CommentSerializer"}


class CommentSerializer(IncludeModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text", "target"]
        includes = {
            "target": {"blog.Article": ArticleSerializer, "shop.Product": ProductSerializer}
        }


class LikeSerializer(IncludeModelSerializer):
    """A nullable pair (SET_NULL): ``target`` may be null."""

    class Meta:
        model = Like
        fields = ["id", "target"]


class CommentViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Comment.objects.order_by("id")
    serializer_class = CommentSerializer
    pagination_class = PageSizePagination


class ScopedCommentViewSet(CommentViewSet):
    """Products with a "secret" sku are never embedded."""

    def get_include_queryset(self, path, queryset):
        if path == "target" and queryset.model is Product:
            return queryset.exclude(sku__startswith="secret")
        return queryset


class LikeViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Like.objects.order_by("id")
    serializer_class = LikeSerializer


class CommentedArticleViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Article.objects.order_by("id")
    serializer_class = CommentedArticleSerializer
    pagination_class = PageSizePagination


class CommentedProductViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Product.objects.order_by("id")
    serializer_class = CommentedProductSerializer
    pagination_class = PageSizePagination


class ArticleCommentViewSet(RelationViewSetMixin, CommentViewSet):
    """``/commented-articles/{pk}/comments/``: the polymorphic HasMany."""

    parent_queryset = Article.objects.all()
    relation = "comments"


def register(router) -> None:
    router.register("comments", CommentViewSet)
    router.register("scoped-comments", ScopedCommentViewSet, basename="scoped-comment")
    router.register("likes", LikeViewSet)
    router.register("commented-articles", CommentedArticleViewSet, basename="commented-article")
    router.register("commented-products", CommentedProductViewSet, basename="commented-product")
    router.register_relation("commented-articles", "comments", ArticleCommentViewSet)
