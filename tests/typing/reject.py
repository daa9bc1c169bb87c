"""What a type checker must reject for weak relations (tests/test_typing.py).

Each line marked ``# E: <code>`` must be reported with that error code, and no
other line may be. Type-checked with mypy and django-stubs, never imported.
"""

from tests.blog.models import Article, Tag
from tests.clinic.models import Clinic, Patient
from tests.shop.models import Customer, Order, OrderLine, Profile, Region


def wrong_target(order: Order, region: Region) -> None:
    order.customer = region  # E: assignment
    order.customer = None  # E: assignment


def nullable_read(customer: Customer) -> str:
    return customer.region.name  # E: union-attr


def wrong_manager_model(customer: Customer, tag: Tag, clinic: Clinic) -> None:
    customer.orders.add(tag)  # E: arg-type
    clinic.referred = [Patient()]  # E: assignment


def wrong_result(customer: Customer) -> str:
    order: Order = customer.orders.first()  # E: assignment
    name: str = order.customer  # E: assignment
    return name


def wrong_reverse_accessor(region: Region, tag: Tag, article: Article) -> tuple[Profile, str]:
    # The accessors weakrel.mypy_plugin adds are checked like declared ones.
    region.customers.add(Order())  # E: arg-type
    profile: Profile = region.customers.get()  # E: assignment
    article.comments.unknown()  # E: attr-defined
    title: str = tag.articles.get()  # E: assignment
    return profile, title


def wrong_string_target(line: OrderLine, customer: Customer) -> None:
    line.product = customer  # E: assignment
