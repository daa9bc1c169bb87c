"""The DRF integration on a WeakManyToManyField (tests/clinic): Physician in default,
Appointment (the through model) in orders, Patient in third."""

import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.clinic.models import Appointment, Patient, Physician, Record
from tests.test_drf_include import QueryCounter
from tests.test_drf_writes import json_values

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def clinic():
    ann, ben = Physician.objects.create(name="Ann"), Physician.objects.create(name="Ben")
    bo, cy, di = (Patient.objects.create(name=n) for n in ("Bo", "Cy", "Di"))
    ann.patients.add(bo, cy, through_defaults={"at": timezone.now()})
    ben.patients.add(cy, through_defaults={"at": timezone.now()})
    Record.objects.create(patient=bo, text="x-ray")
    return {"ann": ann, "ben": ben, "bo": bo, "cy": cy, "di": di}


def links():
    return sorted(Appointment.objects.values_list("physician_id", "patient_id"))


# -- ?include= ----------------------------------------------------------------------


def test_list_include_patients_nested(client, clinic):
    response = client.get("/clinic-physicians/?include=patients.records,patients.physicians")
    assert response.status_code == 200, response.content
    ann, ben = response.json()["results"]
    assert ann["patients_ids"] == [clinic["bo"].pk, clinic["cy"].pk]
    assert [p["name"] for p in ann["patients"]] == ["Bo", "Cy"]
    assert ann["patients"][0]["records"][0]["text"] == "x-ray"
    assert [p["name"] for p in ann["patients"][1]["physicians"]] == ["Ann", "Ben"]
    assert [p["name"] for p in ben["patients"]] == ["Cy"]


def test_retrieve_include_and_reverse(client, clinic):
    response = client.get(f"/clinic-patients/{clinic['di'].pk}/?include=physicians")
    assert response.json() == {
        "id": clinic["di"].pk,
        "name": "Di",
        "physicians_ids": [],
        "physicians": [],
    }
    response = client.get(f"/clinic-patients/{clinic['cy'].pk}/?include=physicians.patients")
    physicians = response.json()["physicians"]
    assert [p["name"] for p in physicians] == ["Ann", "Ben"]
    assert [p["name"] for p in physicians[0]["patients"]] == ["Bo", "Cy"]


def make_clinic(n):
    physicians = Physician.objects.bulk_create([Physician(name=f"dr{i:03}") for i in range(n)])
    patients = Patient.objects.bulk_create([Patient(name=f"p{i:03}") for i in range(n)])
    now = timezone.now()
    Appointment.objects.bulk_create(
        [
            Appointment(physician_id=d.pk, patient_id=p.pk, at=now)
            for d, p in zip(physicians, patients, strict=True)
        ]
        + [
            Appointment(physician_id=physicians[0].pk, patient_id=p.pk, at=now)
            for p in patients[1:3]
        ]
    )
    Record.objects.bulk_create([Record(patient_id=p.pk, text="r") for p in patients])


@pytest.mark.parametrize("size", [1, 10, 500])
def test_query_budget(client, size):
    make_clinic(500)
    url = f"/clinic-physicians/?page_size={size}"
    with QueryCounter() as plain:
        response = client.get(url)
    assert len(response.json()["results"]) == size
    # default: count + page; orders: the page's patients_ids, one query.
    assert (plain["default"], plain["orders"], plain["third"]) == (2, 1, 0)

    with QueryCounter() as one:
        response = client.get(url + "&include=patients")
    assert response.status_code == 200
    assert len(response.json()["results"][-1]["patients"]) >= 1
    # + the level "patients": appointments (orders) and patients (third);
    # + the included patients' physicians_ids (orders).
    assert (one["default"], one["orders"], one["third"]) == (2, 3, 1)

    with QueryCounter() as two:
        response = client.get(url + "&include=patients.records,patients.physicians")
    assert response.status_code == 200
    # + records (default) and the level "physicians" (orders, default), + their patients_ids.
    assert (two["default"], two["orders"], two["third"]) == (4, 5, 1)


# -- writes -------------------------------------------------------------------------


def test_create_with_links(client, clinic):
    body = {"name": "Cal", "patients_ids": [clinic["di"].pk, str(clinic["bo"].pk)]}
    response = client.post("/clinic-physicians/?include=patients", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["patients_ids"] == [clinic["di"].pk, clinic["bo"].pk]  # links in given order
    assert [p["name"] for p in data["patients"]] == ["Bo", "Di"]  # Patient.Meta.ordering
    cal = Physician.objects.get(name="Cal")
    assert list(cal.patients.all()) == [clinic["bo"], clinic["di"]]
    # through_defaults from the serializer's Meta
    assert set(Appointment.objects.filter(physician_id=cal.pk).values_list("room", flat=True)) == {
        "A1"
    }


def test_update_sets_links(client, clinic):
    ann = clinic["ann"]
    response = client.patch(f"/clinic-physicians/{ann.pk}/", {"patients_ids": [clinic["di"].pk]})
    assert response.status_code == 200, response.content
    assert response.json()["patients_ids"] == [clinic["di"].pk]
    assert list(ann.patients.all()) == [clinic["di"]]
    response = client.patch(f"/clinic-physicians/{ann.pk}/", {"name": "Annie"})
    assert list(ann.patients.all()) == [clinic["di"]]
    response = client.patch(f"/clinic-physicians/{ann.pk}/", {"patients_ids": []})
    assert response.json()["patients_ids"] == []
    assert not ann.patients.exists()


def test_reverse_side_is_writable(client, clinic):
    cy = clinic["cy"]
    response = client.patch(f"/clinic-patients/{cy.pk}/", {"physicians_ids": [clinic["ben"].pk]})
    assert response.status_code == 200, response.content
    assert list(cy.physicians.all()) == [clinic["ben"]]


@pytest.mark.parametrize(
    "value, message",
    [
        ([999_999], "patient instances with id 999999 do not exist."),
        (["abc"], "“abc” value must be an integer."),
        ([True], "Incorrect type. Expected pk value, received bool."),
        ("1", 'Expected a list of items but got type "str".'),
        ({"a": 1}, 'Expected a list of items but got type "dict".'),
        (None, "This field may not be null."),
    ],
)
def test_bad_links_are_400_and_change_nothing(client, clinic, value, message):
    before, count = links(), Physician.objects.count()
    response = client.post("/clinic-physicians/", {"name": "X", "patients_ids": value})
    assert response.status_code == 400
    errors = response.json()["patients_ids"]
    assert message in json.dumps(errors, ensure_ascii=False).replace('\\"', '"')
    response = client.patch(f"/clinic-physicians/{clinic['ann'].pk}/", {"patients_ids": value})
    assert response.status_code == 400
    assert links() == before and Physician.objects.count() == count


def test_duplicate_links_are_400(client, clinic):
    bo = clinic["bo"].pk
    response = client.post("/clinic-physicians/", {"name": "X", "patients_ids": [bo, bo]})
    assert response.status_code == 400
    assert response.json() == {"patients_ids": [f"{bo} given more than once."]}
    assert not Physician.objects.filter(name="X").exists()


def test_failed_link_write_rolls_back_the_row(client, clinic, monkeypatch):
    from tests.api.serializers import ClinicPhysicianSerializer

    # No "at" for the through rows: the link insert fails inside the transaction.
    monkeypatch.setattr(ClinicPhysicianSerializer.Meta, "through_defaults", {})
    before = links()
    with pytest.raises(Exception):  # noqa: B017 - the database's own IntegrityError
        client.post("/clinic-physicians/", {"name": "Zed", "patients_ids": [clinic["bo"].pk]})
    assert not Physician.objects.filter(name="Zed").exists()
    assert links() == before


def test_relation_name_in_fields_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from weakrel.rest_framework import IncludeModelSerializer

    class Wrong(IncludeModelSerializer):
        class Meta:
            model = Physician
            fields = ["id", "patients"]

    with pytest.raises(ImproperlyConfigured, match="'patients_ids'"):
        Wrong().fields  # noqa: B018


# -- relation endpoints -------------------------------------------------------------


def test_relation_list_with_include_filter_pagination(client, clinic):
    url = f"/clinic-physicians/{clinic['ann'].pk}/patients/"
    body = client.get(url + "?include=records&page_size=1").json()
    assert body["count"] == 2
    assert [(p["name"], [r["text"] for r in p["records"]]) for p in body["results"]] == [
        ("Bo", ["x-ray"])
    ]
    assert body["next"]
    body = client.get(
        f"/clinic-physicians/{clinic['ann'].pk}/patients/?physicians__name=Ben"
    ).json()
    assert [p["name"] for p in body["results"]] == ["Cy"]
    body = client.get(f"/clinic-patients/{clinic['cy'].pk}/physicians/").json()
    assert [p["name"] for p in body["results"]] == ["Ann", "Ben"]


def test_link_is_idempotent_and_unlink(client, clinic):
    ann, di = clinic["ann"], clinic["di"]
    url = f"/clinic-physicians/{ann.pk}/patients/{di.pk}/"
    response = client.post(url)
    assert response.status_code == 201
    assert response.json()["name"] == "Di"
    assert client.post(url).status_code == 200
    assert Appointment.objects.filter(physician_id=ann.pk, patient_id=di.pk).count() == 1
    assert client.get(url).json()["name"] == "Di"
    assert client.delete(url).status_code == 204
    assert Patient.objects.filter(pk=di.pk).exists()
    assert not ann.patients.filter(pk=di.pk).exists()
    assert client.delete(url).status_code == 404  # not linked


def test_reverse_link(client, clinic):
    url = f"/clinic-patients/{clinic['di'].pk}/physicians/{clinic['ben'].pk}/"
    assert client.post(url).status_code == 201
    assert list(clinic["di"].physicians.all()) == [clinic["ben"]]


def test_create_through_relation_links(client, clinic):
    ann = clinic["ann"]
    response = client.post(f"/clinic-physicians/{ann.pk}/patients/", {"name": "Eve"})
    assert response.status_code == 201, response.content
    assert ann.patients.filter(name="Eve").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/clinic-physicians/999999/patients/",
        "/clinic-physicians/abc/patients/",
        "/clinic-physicians/{ann}/patients/999999/",
        "/clinic-physicians/{ann}/patients/abc/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_missing_parent_or_target_is_404(client, clinic, url, method):
    before = links()
    url = url.format(ann=clinic["ann"].pk)
    if method == "delete" and url.endswith("patients/"):
        return
    response = getattr(client, method)(url, {"name": "Q"} if method == "post" else None)
    assert response.status_code == 404
    assert links() == before and not Patient.objects.filter(name="Q").exists()


# -- filters and schema -------------------------------------------------------------


def test_filters_through_the_relation(client, clinic):
    body = client.get("/clinic-physicians/?patients__name=Bo").json()
    assert [p["name"] for p in body["results"]] == ["Ann"]
    body = client.get("/clinic-physicians/?patients__name__icontains=c").json()
    assert [p["name"] for p in body["results"]] == ["Ann", "Ben"]
    body = client.get("/clinic-patients/?physicians__name=Ben&include=physicians").json()
    assert [(p["name"], len(p["physicians"])) for p in body["results"]] == [("Cy", 2)]


def test_schema(client):
    schema = client.get("/schema/?format=json").json()
    assert "/clinic-physicians/{parent_pk}/patients/{id}/" in schema["paths"]
    params = schema["paths"]["/clinic-physicians/"]["get"]["parameters"]
    include = next(p for p in params if p["name"] == "include")
    assert include["schema"]["items"]["enum"][:3] == [
        "patients",
        "patients.physicians",
        "patients.physicians.patients",
    ]
    assert {"patients__name", "patients__name__icontains"} <= {p["name"] for p in params}


# -- hostile bodies -----------------------------------------------------------------

fuzz = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fuzz
@given(value=json_values)
def test_any_json_links_are_2xx_or_4xx(client, clinic, value):
    ann = clinic["ann"]
    before = links()
    response = client.generic(
        "PATCH",
        f"/clinic-physicians/{ann.pk}/",
        json.dumps({"patients_ids": value}),
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()  # on the field, or the body is not JSON (NaN, Infinity)
        assert links() == before
    else:
        assert sorted(response.json()["patients_ids"]) == sorted(
            ann.patients.values_list("pk", flat=True)
        )
        ann.patients.set([clinic["bo"], clinic["cy"]], through_defaults={"at": timezone.now()})


@fuzz
@given(
    body=st.dictionaries(st.sampled_from(["name", "patients_ids", "id"]), json_values),
)
def test_any_json_body_is_2xx_or_4xx(client, clinic, body):
    before, count = links(), Physician.objects.count()
    response = client.generic(
        "POST", "/clinic-physicians/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()
        assert links() == before and Physician.objects.count() == count
