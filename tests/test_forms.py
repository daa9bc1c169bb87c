"""Inline formsets over a weak key, side by side with Django's over a ForeignKey."""

import pytest

from tests.shop.models import Label, NativeLabel, NativeParcel, Order, Parcel, Profile
from weakrel.forms import inlineformset_factory

pytestmark = pytest.mark.django_db(databases="__all__")

TWINS = [(Label, Parcel), (NativeLabel, NativeParcel)]


def management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("parent_model, model", TWINS, ids=["weak", "native"])
def test_an_inline_formset_adds_changes_and_deletes_dependents(parent_model, model):
    label = parent_model.objects.create(text="L")
    kept = model.objects.create(name="kept", label=label)
    gone = model.objects.create(name="gone", label=label)
    model.objects.create(name="elsewhere", label=parent_model.objects.create(text="M"))

    FormSet = inlineformset_factory(parent_model, model, fields=["name"])
    formset = FormSet(instance=label)
    assert formset.prefix == "parcels"
    assert len(formset.forms) == 2 + 3  # the dependents and Django's three extra forms
    assert {f.instance.pk for f in formset.initial_forms} == {kept.pk, gone.pk}

    data = management("parcels", 3, 2)
    for i, (obj, name) in enumerate([(kept, "renamed"), (gone, "gone")]):
        data |= {f"parcels-{i}-id": str(obj.pk), f"parcels-{i}-name": name}
    data |= {"parcels-1-DELETE": "on", "parcels-2-name": "new"}
    formset = FormSet(data, instance=label)
    assert formset.is_valid(), formset.errors
    formset.save()
    assert sorted(model.objects.filter(label=label).values_list("name", flat=True)) == [
        "new",
        "renamed",
    ]
    assert not model.objects.filter(pk=gone.pk).exists()


def test_the_weak_formset_writes_the_dependents_database():
    label = Label.objects.create(text="L")
    FormSet = inlineformset_factory(Label, Parcel, fields=["name"])
    data = management("parcels", 1, 0) | {"parcels-0-name": "p"}
    formset = FormSet(data, instance=label)
    assert formset.is_valid(), formset.errors
    (parcel,) = formset.save()
    assert parcel._state.db == "orders" and parcel.label_id == label.pk


def test_a_unique_weak_key_allows_one_form_and_a_native_key_falls_back_to_django():
    from tests.shop.models import Customer

    FormSet = inlineformset_factory(Customer, Profile, fields=[])
    assert FormSet.max_num == 1
    with pytest.raises(ValueError, match="fk_name 'customer' is not a ForeignKey to"):
        inlineformset_factory(Label, Order, fk_name="customer", fields=[])
    native = inlineformset_factory(Order, Order._meta.get_field("lines").related_model, fields=[])
    assert native.fk.name == "order"
