"""Differential tests: a weak key across databases answers as a ForeignKey in one.

``Parcel.label`` is a nullable ``WeakForeignKey`` (parcels in "orders", labels in
"third"); ``NativeParcel.label`` is the same ``ForeignKey`` in "default". The same
rows go into both, and every query must return the same parcels.
"""

import pytest
from django.db.models import Q

from tests.shop.models import Label, NativeLabel, NativeParcel, Parcel

pytestmark = pytest.mark.django_db(databases="__all__")

# parcel name -> its label's text (MISSING: no label at all)
MISSING = object()
ROWS = {"unlabelled": MISSING, "blank": None, "a": "a", "b": "b"}


@pytest.fixture
def twins():
    for name, text in ROWS.items():
        label = native = None
        if text is not MISSING:
            label = Label.objects.create(text=text)
            native = NativeLabel.objects.create(text=text)
        Parcel.objects.create(name=name, label=label)
        NativeParcel.objects.create(name=name, label=native)


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


CONDITIONS = [
    Q(label__text__isnull=True),
    Q(label__text__isnull=False),
    Q(label__text="a"),
    Q(label__text__in=["a", "b"]),
    Q(label__isnull=True),
    Q(label__text="a") | Q(label__isnull=True),
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=str)
@pytest.mark.parametrize("method", ["filter", "exclude"])
def test_null_semantics_through_a_nullable_key(twins, condition, method):
    weak = names(getattr(Parcel.objects, method)(condition))
    native = names(getattr(NativeParcel.objects, method)(condition))
    assert weak == native


@pytest.mark.parametrize("model", [Parcel, NativeParcel], ids=lambda m: m.__name__)
def test_lookup_errors_are_djangos(twins, model):
    other_model = NativeParcel if model is Parcel else Parcel
    wrong = other_model.objects.first()
    with pytest.raises(ValueError, match='Cannot query ".*": Must be ".*Label" instance.'):
        list(model.objects.filter(label=wrong))
    with pytest.raises(ValueError):
        list(model.objects.filter(label="abc"))
    with pytest.raises(ValueError):
        list(model.objects.filter(label__in=["abc"]))


def reverse_conditions(model):
    """Filters of the labels through their reverse relation, for one side of the twins."""
    parcels = model._meta.get_field("parcels").related_model
    a = parcels.objects.get(name="a")
    return [
        Q(parcels=None),
        Q(parcels__isnull=False),
        Q(parcels=a),
        Q(parcels=a.pk),
        Q(parcels__in=[a]),
        Q(parcels__in=parcels.objects.filter(name__in=["a", "b"])),
        Q(parcels__name="b"),
    ]


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("method", ["filter", "exclude"])
def test_filters_through_the_reverse_relation(twins, index, method):
    def texts(model):
        condition = reverse_conditions(model)[index]
        return sorted(
            getattr(model.objects, method)(condition).values_list("text", flat=True),
            key=str,
        )

    assert texts(Label) == texts(NativeLabel)


@pytest.mark.parametrize("model", [Label, NativeLabel], ids=lambda m: m.__name__)
def test_an_unsaved_instance_has_a_manager_that_refuses_to_read(model):
    label = model(text="new")
    assert label.parcels.model.__name__.endswith("Parcel")  # made without a query
    message = (
        f"'{model.__name__}' instance needs to have a primary key value before this "
        "relationship can be used."
    )
    with pytest.raises(ValueError, match=message):
        label.parcels.all()
    with pytest.raises(ValueError, match=message):
        label.parcels.count()
