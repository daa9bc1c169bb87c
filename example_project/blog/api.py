"""The blog's REST API: a ReferencesMany (``WeakReferencesMany``) over HTTP.

Try ``/api/articles/?include=tags``, ``/api/tags/?include=articles`` and
``/api/articles/?tags__name=django``. Comments are polymorphic (``WeakGenericForeignKey``
on an article or a product): ``/api/comments/?include=target``,
``/api/articles/?include=comments`` and ``/api/articles/{pk}/comments/``.
"""

from django.urls import include, path
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination

from example_project.shop.models import Product
from weakrel.rest_framework import IncludeModelSerializer, IncludeViewSetMixin
from weakrel.rest_framework.filters import WeakFilterBackend
from weakrel.rest_framework.relations import RelationRouter, RelationViewSetMixin

from .models import Article, Comment, Tag


class TagSerializer(IncludeModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]
        includes = {"articles": "example_project.blog.api.ArticleSerializer"}
        include_scopes = {"articles": {"ordering_fields": ["title", "id"], "count": True}}


class ArticleSerializer(IncludeModelSerializer):
    class Meta:
        model = Article
        # tags_ids: the list column itself, in stored order.
        fields = ["id", "title", "tags_ids"]
        includes = {"tags": TagSerializer, "comments": "example_project.blog.api.CommentSerializer"}
        include_scopes = {"tags": {"ordering_fields": ["name", "id"], "count": True}}


class CommentSerializer(IncludeModelSerializer):
    class Meta:
        model = Comment
        # target: {"type": "blog.article", "id": "1"}, written the same way.
        fields = ["id", "text", "target"]
        # ?include=target: each comment's target with its own type's serializer.
        includes = {
            "target": {
                "blog.Article": ArticleSerializer,
                "shop.Product": "example_project.shop.api.ProductSerializer",
            }
        }


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500


class ArticleViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Article.objects.order_by("id")
    serializer_class = ArticleSerializer
    pagination_class = Pagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"title": ["icontains"], "tags__name": ["exact"]}


class TagViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Tag.objects.order_by("id")
    serializer_class = TagSerializer
    pagination_class = Pagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"name": ["exact"], "articles__title": ["icontains"]}


class ArticleTagViewSet(RelationViewSetMixin, TagViewSet):
    """``/articles/{parent_pk}/tags/``: one article's tags, in its order."""

    parent_queryset = Article.objects.all()
    relation = "tags"


class CommentViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Comment.objects.order_by("id")
    serializer_class = CommentSerializer
    pagination_class = Pagination
    filterset_fields = {"target_type": ["exact"]}
    filter_backends = [WeakFilterBackend]


class ArticleCommentViewSet(RelationViewSetMixin, CommentViewSet):
    """``/articles/{parent_pk}/comments/``: one article's comments."""

    parent_queryset = Article.objects.all()
    relation = "comments"


class ProductCommentViewSet(RelationViewSetMixin, CommentViewSet):
    """``/products/{parent_pk}/comments/``: one product's comments."""

    parent_queryset = Product.objects.all()
    relation = "comments"


router = RelationRouter()
router.register("articles", ArticleViewSet)
router.register("tags", TagViewSet)
router.register("comments", CommentViewSet)
router.register_relation("articles", "tags", ArticleTagViewSet)
router.register_relation("articles", "comments", ArticleCommentViewSet)
router.register_relation("products", "comments", ProductCommentViewSet)

urlpatterns = [path("", include(router.urls))]
