"""HasManyThrough: WeakManyToManyField across three databases.

Physician (default) -> Appointment (orders) -> Patient (third); Record (default).
"""

from datetime import datetime, timezone

import pytest
from django.core import checks
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Prefetch, ProtectedError
from django.db.models.signals import m2m_changed
from django.test.utils import isolate_apps

import weakrel
from tests.clinic.models import Appointment, Clinic, Patient, Physician, Record, Referral, Visit
from tests.queries import count_queries

pytestmark = pytest.mark.django_db(databases="__all__")

AT = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def clinic():
    ann = Physician.objects.create(name="Ann")
    ben = Physician.objects.create(name="Ben")
    bo = Patient.objects.create(name="Bo")
    cy = Patient.objects.create(name="Cy")
    di = Patient.objects.create(name="Di")
    ann.patients.add(bo, cy, through_defaults={"at": AT})
    ben.patients.add(cy, through_defaults={"at": AT, "room": "2B"})
    return ann, ben, bo, cy, di


# -- managers ------------------------------------------------------------------------


def test_all_reads_through_rows_then_targets(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        assert list(ann.patients.all()) == [bo, cy]
    assert counts == {"default": 0, "orders": 1, "third": 1}
    assert all(p._state.db == "third" for p in ann.patients.all())
    assert list(cy.physicians.all()) == [ann, ben]
    assert list(di.physicians.all()) == []


def test_a_reused_queryset_sees_new_links(clinic):
    ann, ben, bo, cy, di = clinic
    patients = ann.patients.all()
    assert patients.count() == 2
    ann.patients.add(di, through_defaults={"at": AT})
    assert patients.count() == 3
    physicians = Physician.objects.filter(patients__name="Di")
    assert list(physicians) == [ann]
    ben.patients.add(di, through_defaults={"at": AT})
    assert list(physicians.all()) == [ann, ben]


def test_filter_count_exists(clinic):
    ann, ben, bo, cy, di = clinic
    assert list(ann.patients.filter(name__startswith="C")) == [cy]
    with count_queries() as counts:
        assert ann.patients.count() == 2
    assert counts == {"default": 0, "orders": 1, "third": 1}
    assert ann.patients.exists()
    assert not di.physicians.exists()
    assert cy.physicians.count() == 2
    assert list(ann.patients.exclude(name="Bo")) == [cy]


def test_add_creates_through_rows_with_defaults(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        ann.patients.add(di, through_defaults={"at": lambda: AT, "room": "1A"})
    # One query for links already there, one insert inside a savepoint (two more
    # statements: the unique constraint may refuse a link stored meanwhile); Di is
    # saved, so not looked up.
    assert counts == {"default": 0, "orders": 4, "third": 0}
    row = Appointment.objects.get(physician=ann, patient=di)
    assert (row.at, row.room) == (AT, "1A")
    assert list(ann.patients.all()) == [bo, cy, di]


def test_add_is_idempotent_and_accepts_keys(clinic):
    ann, ben, bo, cy, di = clinic
    ann.patients.add(bo, cy.pk, through_defaults={"at": AT})
    assert Appointment.objects.filter(physician=ann).count() == 2
    ann.patients.add(str(di.pk), through_defaults={"at": AT})
    assert set(ann.patients.values_list("name", flat=True)) == {"Bo", "Cy", "Di"}


def test_add_from_the_reverse_side(clinic):
    ann, ben, bo, cy, di = clinic
    di.physicians.add(ann, ben, through_defaults={"at": AT})
    assert list(di.physicians.all()) == [ann, ben]
    assert list(ben.patients.all()) == [cy, di]


def test_add_dangling_key_writes_nothing(clinic):
    ann, ben, bo, cy, di = clinic
    before = Appointment.objects.count()
    with pytest.raises(weakrel.DanglingReferenceError):
        ann.patients.add(di, 987654, through_defaults={"at": AT})
    assert Appointment.objects.count() == before


def test_add_checks_types_and_saved_instances(clinic):
    ann, ben, bo, cy, di = clinic
    with pytest.raises(TypeError, match="'Patient' instance expected"):
        ann.patients.add(ben, through_defaults={"at": AT})
    with pytest.raises(ValueError, match="is None"):
        ann.patients.add(Patient(name="Unsaved"), through_defaults={"at": AT})
    # Django's many-to-many wording.
    message = (
        r'"<Physician: New>" needs to have a value for field "id" '
        "before this many-to-many relationship can be used."
    )
    with pytest.raises(ValueError, match=message):
        Physician(name="New").patients.all()


def test_direct_assignment_is_prohibited(clinic):
    ann, ben, bo, cy, di = clinic
    with pytest.raises(TypeError, match="Use patients.set"):
        ann.patients = [bo]
    with pytest.raises(TypeError, match="Use physicians.set"):
        bo.physicians = [ann]


def test_remove_deletes_only_through_rows(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        ann.patients.remove(cy)
    assert counts["third"] == 0 and counts["default"] == 0
    assert list(ann.patients.all()) == [bo]
    assert list(ben.patients.all()) == [cy]
    assert Patient.objects.filter(pk=cy.pk).exists()
    cy.physicians.remove(ben.pk)
    assert not cy.physicians.exists()


def test_clear(clinic):
    ann, ben, bo, cy, di = clinic
    ann.patients.clear()
    assert not ann.patients.exists()
    assert Appointment.objects.filter(physician=ben).count() == 1
    assert Patient.objects.count() == 3


def test_set_adds_and_removes_the_difference(clinic):
    ann, ben, bo, cy, di = clinic
    kept = Appointment.objects.get(physician=ann, patient=cy)
    ann.patients.set([cy, di], through_defaults={"at": AT, "room": "9"})
    assert list(ann.patients.all()) == [cy, di]
    # The link that stays is the same row: set() only touches the difference.
    assert Appointment.objects.get(physician=ann, patient=cy).pk == kept.pk
    assert Appointment.objects.get(physician=ann, patient=di).room == "9"
    ann.patients.set([bo], clear=True, through_defaults={"at": AT})
    assert list(ann.patients.all()) == [bo]
    assert not Appointment.objects.filter(pk=kept.pk).exists()
    ann.patients.set([])
    assert not ann.patients.exists()


def test_create_makes_the_target_in_its_database_and_links_it(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        eve = ann.patients.create(name="Eve", through_defaults={"at": AT, "room": "3"})
    assert counts["third"] == 1 and counts["default"] == 0
    assert eve._state.db == "third"
    assert Appointment.objects.get(physician=ann, patient=eve).room == "3"
    assert list(eve.physicians.all()) == [ann]


def test_get_or_create_and_update_or_create(clinic):
    ann, ben, bo, cy, di = clinic
    obj, created = ann.patients.get_or_create(name="Bo", through_defaults={"at": AT})
    assert (obj, created) == (bo, False)
    obj, created = ann.patients.get_or_create(name="Fay", through_defaults={"at": AT})
    assert created and list(obj.physicians.all()) == [ann]
    obj, created = ann.patients.update_or_create(
        name="Bo", defaults={"name": "Bob"}, through_defaults={"at": AT}
    )
    assert not created and Patient.objects.get(pk=bo.pk).name == "Bob"


def test_add_skips_a_link_stored_meanwhile(clinic):
    """The race made deterministic: another writer stores the same link between the
    check for existing links and the insert (here, a ``pre_add`` receiver). The
    unique constraint refuses the second row; add() stores the rest, and only what it
    stored is in ``post_add``."""
    ann, ben, bo, cy, di = clinic
    eve = Patient.objects.create(name="Eve")
    seen = []

    def receiver(sender, action, pk_set, **kwargs):
        seen.append((action, pk_set))
        if action == "pre_add":
            Appointment.objects.create(physician=ann, patient=di, at=AT, room="meanwhile")

    m2m_changed.connect(receiver, sender=Appointment)
    try:
        ann.patients.add(di, eve, through_defaults={"at": AT})
    finally:
        m2m_changed.disconnect(receiver, sender=Appointment)
    assert seen == [("pre_add", {di.pk, eve.pk}), ("post_add", {eve.pk})]
    rows = Appointment.objects.filter(physician=ann).values_list("patient_id", "room")
    assert sorted(rows) == sorted([(bo.pk, ""), (cy.pk, ""), (di.pk, "meanwhile"), (eve.pk, "")])


def test_add_raises_what_no_stored_link_explains(clinic):
    """A row refused by another constraint (here the primary key) is an error, not a
    link stored meanwhile."""
    ann, ben, bo, cy, di = clinic
    taken = Appointment.objects.get(physician=ann, patient=bo).pk
    with pytest.raises(IntegrityError), transaction.atomic(using="orders"):
        ann.patients.add(di, through_defaults={"at": AT, "id": taken})
    assert not Appointment.objects.filter(physician=ann, patient=di).exists()


def test_m2m_changed_signals(clinic):
    ann, ben, bo, cy, di = clinic
    seen = []

    def receiver(sender, action, instance, reverse, model, pk_set, using, **kwargs):
        seen.append((sender, action, instance, reverse, model, pk_set, using))

    m2m_changed.connect(receiver)
    try:
        ann.patients.add(di, through_defaults={"at": AT})
        di.physicians.remove(ann)
        ann.patients.clear()
    finally:
        m2m_changed.disconnect(receiver)
    assert [s[1] for s in seen] == [
        "pre_add",
        "post_add",
        "pre_remove",
        "post_remove",
        "pre_clear",
        "post_clear",
    ]
    assert seen[0] == (Appointment, "pre_add", ann, False, Patient, {di.pk}, "orders")
    assert seen[2][2:6] == (di, True, Physician, {ann.pk})


def test_through_fields_choose_the_keys(clinic):
    ann, ben, bo, cy, di = clinic
    Referral.objects.create(referrer=ann, specialist=ben, patient=di)
    assert list(ann.referred_patients.all()) == [di]
    assert list(ben.referred_patients.all()) == []
    assert list(di.referrers.all()) == [ann]
    ben.referred_patients.create(name="Gus", through_defaults={"specialist": ann})
    assert Referral.objects.get(referrer=ben).specialist_id == ann.pk


def test_relation_to_self(clinic):
    ann, ben, bo, cy, di = clinic
    cat = Physician.objects.create(name="Cat")
    ann.consultants.add(ben, cat, through_defaults={"patient": bo})
    ben.consultants.add(cat, through_defaults={"patient": cy})
    assert list(ann.consultants.all()) == [ben, cat]
    assert list(cat.consulted_by.all()) == [ann, ben]
    assert list(Physician.objects.filter(consultants__name="Cat")) == [ann, ben]
    assert list(Physician.objects.filter(consulted_by=ann)) == [ben, cat]
    found = {
        p.name: [c.name for c in p.consultants.all()]
        for p in Physician.objects.prefetch_related("consultants")
    }
    assert found == {"Ann": ["Ben", "Cat"], "Ben": ["Cat"], "Cat": []}
    patients = sorted(Referral.objects.values_list("patient_id", flat=True))
    assert patients == sorted([bo.pk, bo.pk, cy.pk])


# -- prefetching ---------------------------------------------------------------------


def test_prefetch_costs_one_through_and_one_target_query(clinic):
    ann, ben, bo, cy, di = clinic
    for i in range(5):
        Physician.objects.create(name=f"Z{i}").patients.add(bo, di, through_defaults={"at": AT})
    with count_queries() as counts:
        physicians = list(Physician.objects.prefetch_related("patients"))
    assert counts == {"default": 1, "orders": 1, "third": 1}
    with count_queries() as counts:
        names = {p.name: [x.name for x in p.patients.all()] for p in physicians}
        assert physicians[0].patients.count() == 2
    assert sum(counts.values()) == 0
    assert names["Ann"] == ["Bo", "Cy"] and names["Ben"] == ["Cy"] and names["Z3"] == ["Bo", "Di"]


def test_nested_prefetch_is_a_fixed_number_of_queries(clinic):
    ann, ben, bo, cy, di = clinic
    Record.objects.create(patient=cy, text="x-ray")
    Record.objects.create(patient=bo, text="blood")
    for i in range(4):
        Physician.objects.create(name=f"Z{i}").patients.add(cy, di, through_defaults={"at": AT})
    with count_queries() as counts:
        physicians = list(Physician.objects.prefetch_related("patients__records"))
    assert counts == {"default": 2, "orders": 1, "third": 1}
    with count_queries() as counts:
        texts = {
            p.name: sorted(r.text for pt in p.patients.all() for r in pt.records.all())
            for p in physicians
        }
    assert sum(counts.values()) == 0
    assert texts["Ann"] == ["blood", "x-ray"] and texts["Z0"] == ["x-ray"]


def test_prefetch_with_a_queryset_and_to_attr(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        physicians = list(
            Physician.objects.prefetch_related(
                Prefetch("patients", queryset=Patient.objects.filter(name="Cy"), to_attr="cys")
            )
        )
    assert counts == {"default": 1, "orders": 1, "third": 1}
    assert [p.cys for p in physicians] == [[cy], [cy]]


def test_prefetch_with_a_queryset_into_the_manager(clinic):
    ann, ben, bo, cy, di = clinic
    physicians = list(
        Physician.objects.prefetch_related(
            Prefetch("patients", queryset=Patient.objects.order_by("-name"))
        )
    )
    with count_queries() as counts:
        assert [list(p.patients.all()) for p in physicians] == [[cy, bo], [cy]]
    assert sum(counts.values()) == 0


def test_prefetch_splits_key_lists_past_the_parameter_limit(clinic, monkeypatch):
    from weakrel import routing

    ann, ben, bo, cy, di = clinic
    for i in range(3):
        Physician.objects.create(name=f"Z{i}").patients.add(bo, cy, di, through_defaults={"at": AT})
    for alias in connections:  # two keys per query
        monkeypatch.setitem(routing._limits, alias, routing.RESERVED_PARAMS + 2)
    with count_queries() as counts:
        physicians = list(Physician.objects.prefetch_related("patients"))
    # 5 physician keys -> 3 through queries; 3 patient keys -> 2 target queries.
    assert counts == {"default": 1, "orders": 3, "third": 2}
    assert [len(p.patients.all()) for p in physicians] == [2, 1, 3, 3, 3]


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_through_cascade_rolls_back_with_the_delete(clinic, monkeypatch):
    from django.db.models.deletion import Collector

    ann, ben, bo, cy, di = clinic
    real = Collector.delete

    def failing(self):
        if self.using == "default" and self.data:
            raise RuntimeError("root delete failed")
        return real(self)

    monkeypatch.setattr(Collector, "delete", failing)
    with pytest.raises(RuntimeError):
        ann.delete()
    monkeypatch.undo()
    # The appointments were deleted in "orders" first, then rolled back with the root.
    assert Appointment.objects.filter(physician_id=ann.pk).count() == 2
    assert Physician.objects.filter(pk=ann.pk).exists()


def test_reverse_prefetch(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        patients = list(Patient.objects.prefetch_related("physicians"))
    assert counts == {"default": 1, "orders": 1, "third": 1}
    with count_queries() as counts:
        got = {p.name: list(p.physicians.all()) for p in patients}
    assert sum(counts.values()) == 0
    assert got == {"Bo": [ann], "Cy": [ann, ben], "Di": []}


def test_prefetch_cache_is_dropped_by_writes(clinic):
    ann, ben, bo, cy, di = clinic
    ann = Physician.objects.prefetch_related("patients").get(pk=ann.pk)
    ann.patients.add(di, through_defaults={"at": AT})
    assert list(ann.patients.all()) == [bo, cy, di]


# -- filtering -----------------------------------------------------------------------


def test_filter_through_the_relation(clinic):
    ann, ben, bo, cy, di = clinic
    with count_queries() as counts:
        assert list(Physician.objects.filter(patients__name="Bo")) == [ann]
    assert counts == {"default": 1, "orders": 1, "third": 1}
    assert list(Physician.objects.filter(patients__name="Cy")) == [ann, ben]
    assert list(Physician.objects.filter(patients__name__startswith="D")) == []
    assert list(Physician.objects.filter(patients=bo)) == [ann]
    assert list(Physician.objects.filter(patients__in=[bo, cy])) == [ann, ben]
    assert list(Physician.objects.filter(patients__pk=cy.pk)) == [ann, ben]
    assert list(Physician.objects.exclude(patients__name="Bo")) == [ben]


def test_isnull_finds_instances_with_and_without_links(clinic):
    ann, ben, bo, cy, di = clinic
    lone = Physician.objects.create(name="Lone")
    assert list(Physician.objects.filter(patients__isnull=True)) == [lone]
    assert list(Physician.objects.filter(patients__isnull=False)) == [ann, ben]
    assert list(Patient.objects.filter(physicians__isnull=True)) == [di]
    assert list(Patient.objects.exclude(physicians__isnull=True)) == [bo, cy]
    Appointment.objects.all().delete()
    assert Physician.objects.filter(patients__isnull=True).count() == 3
    assert not Physician.objects.filter(patients__isnull=False).exists()


def test_filter_from_the_target_side(clinic):
    ann, ben, bo, cy, di = clinic
    assert list(Patient.objects.filter(physicians__name="Ben")) == [cy]
    assert list(Patient.objects.filter(physicians=ann)) == [bo, cy]
    assert list(Patient.objects.filter(physicians__in=Physician.objects.all())) == [bo, cy]
    assert list(Patient.objects.filter(physicians__name__in=["Ann", "Ben"])) == [bo, cy]


# -- deletion ------------------------------------------------------------------------


def test_deleting_a_physician_cascades_to_its_appointments(clinic):
    ann, ben, bo, cy, di = clinic
    deleted, by_model = ann.delete()
    assert by_model == {"clinic.Physician": 1, "clinic.Appointment": 2}
    assert Appointment.objects.filter(physician_id=ann.pk).count() == 0
    assert Appointment.objects.count() == 1
    assert Patient.objects.count() == 3
    assert list(cy.physicians.all()) == [ben]


def test_deleting_a_patient_cascades_to_its_appointments(clinic):
    ann, ben, bo, cy, di = clinic
    Record.objects.create(patient=cy)
    cy.delete()
    assert list(ann.patients.all()) == [bo]
    assert not ben.patients.exists()
    assert Appointment.objects.count() == 1
    assert Record.objects.count() == 0


def test_hidden_reverse_side(clinic):
    ann, ben, bo, cy, di = clinic
    place = Clinic.objects.create(name="South")
    place.seen.add(cy, di)
    assert list(place.seen.all()) == [cy, di]
    assert list(Clinic.objects.filter(seen__name="Di")) == [place]
    assert not hasattr(Patient, "+")
    assert [c.name for c in Patient.objects.get(pk=cy.pk).clinics.all()] == ["South"]


def test_through_protect_blocks_the_delete_everywhere(clinic):
    ann, ben, bo, cy, di = clinic
    place = Clinic.objects.create(name="North")
    place.referred.add(bo)
    with pytest.raises(ProtectedError):
        bo.delete()
    assert Patient.objects.filter(pk=bo.pk).exists()
    assert Appointment.objects.filter(patient_id=bo.pk).exists()
    assert list(bo.clinics.all()) == [place]
    place.delete()
    assert Visit.objects.count() == 0
    bo.delete()
    assert list(ann.patients.all()) == [cy]


# -- checks and migrations -----------------------------------------------------------


def test_deconstruct_round_trip():
    field = Physician._meta.get_field("referred_patients")
    name, path, args, kwargs = field.deconstruct()
    assert path == "weakrel.through.WeakManyToManyField"
    assert kwargs == {
        "to": "clinic.patient",
        "through": "clinic.referral",
        "through_fields": ("referrer", "patient"),
        "related_name": "referrers",
    }
    clone = weakrel.WeakManyToManyField(*args, **kwargs)
    assert clone.deconstruct()[3] == kwargs


def test_the_field_is_not_migrated():
    from django.db.migrations.state import ModelState

    state = ModelState.from_model(Physician)
    assert "patients" not in state.fields
    assert "name" in state.fields


def test_through_is_required():
    with pytest.raises(TypeError):
        weakrel.WeakManyToManyField(Patient)


def _errors(model):
    errors = [e for f in model._meta.private_fields for e in f.check()]
    return [e.id for e in errors if isinstance(e, checks.Error)]


@isolate_apps("tests.clinic")
def test_check_through_without_a_key_to_the_target():
    class Client(models.Model):
        class Meta:
            app_label = "clinic"

    class Doctor(models.Model):
        patients = weakrel.WeakManyToManyField(Client, through="clinic.Slot")

        class Meta:
            app_label = "clinic"

    class Slot(models.Model):
        doctor = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE)
        other = weakrel.WeakForeignKey(Physician, weakrel.CASCADE, related_name="+")

        class Meta:
            app_label = "clinic"

    errors = Doctor._meta.get_field("patients").check()
    assert [e.id for e in errors] == ["weakrel.E102"]
    assert "has no weak key to 'clinic.Client'" in errors[0].msg


@isolate_apps("tests.clinic")
def test_check_ambiguous_through_needs_through_fields():
    class Client(models.Model):
        class Meta:
            app_label = "clinic"

    class Doctor(models.Model):
        patients = weakrel.WeakManyToManyField(Client, through="clinic.Slot")
        fixed = weakrel.WeakManyToManyField(
            Client, through="clinic.Slot", through_fields=("first", "patient"), related_name="+"
        )

        class Meta:
            app_label = "clinic"

    class Slot(models.Model):
        first = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")
        second = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")
        patient = weakrel.WeakForeignKey(Client, weakrel.CASCADE, related_name="+")

        class Meta:
            app_label = "clinic"
            unique_together = [("first", "patient")]

    errors = [e for f in Doctor._meta.private_fields for e in f.check()]
    assert [(e.id, e.obj.name) for e in errors] == [("weakrel.E102", "patients")]
    assert "more than one weak key to 'clinic.Doctor'" in errors[0].msg


@isolate_apps("tests.clinic")
def test_check_bad_through_fields_and_missing_through():
    class Client(models.Model):
        class Meta:
            app_label = "clinic"

    class Doctor(models.Model):
        wrong = weakrel.WeakManyToManyField(
            Client, through="clinic.Slot", through_fields=("doctor", "note"), related_name="+"
        )
        missing = weakrel.WeakManyToManyField(Client, through="clinic.Nowhere", related_name="+")

        class Meta:
            app_label = "clinic"

    class Slot(models.Model):
        doctor = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")
        note = models.CharField(max_length=10)

        class Meta:
            app_label = "clinic"

    assert _errors(Doctor) == ["weakrel.E103", "weakrel.E101"]


@isolate_apps("tests.clinic")
def test_check_reverse_name_clashes():
    class Client(models.Model):
        doctors = models.CharField(max_length=10)

        class Meta:
            app_label = "clinic"

    class Doctor(models.Model):
        clients = weakrel.WeakManyToManyField(Client, through="clinic.Slot", related_name="doctors")
        again = weakrel.WeakManyToManyField(
            Client, through="clinic.Slot", through_fields=("doctor", "client"), related_name="slots"
        )

        class Meta:
            app_label = "clinic"

    class Slot(models.Model):
        doctor = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")
        client = weakrel.WeakForeignKey(Client, weakrel.CASCADE, related_name="slots")

        class Meta:
            app_label = "clinic"
            unique_together = [("doctor", "client")]

    errors = {
        f.name: [(e.id, e.msg) for e in f.check()]
        for f in Doctor._meta.private_fields
        if isinstance(f, weakrel.WeakManyToManyField)
    }
    assert [e[0] for e in errors["clients"]] == ["weakrel.E104", "weakrel.E104"]
    assert "clashes with 'clinic.Client.doctors'" in errors["clients"][0][1]
    assert [e[0] for e in errors["again"]] == ["weakrel.E104", "weakrel.E104"]
    assert "clashes with 'clinic.Slot.client'" in errors["again"][0][1]


@isolate_apps("tests.clinic")
def test_check_relation_to_self_needs_through_fields():
    class Doctor(models.Model):
        mentors = weakrel.WeakManyToManyField("self", through="clinic.Mentoring", related_name="+")
        mentees = weakrel.WeakManyToManyField(
            "self",
            through="clinic.Mentoring",
            through_fields=("mentor", "mentee", "extra"),
            related_name="+",
        )
        students = weakrel.WeakManyToManyField(
            "self",
            through="clinic.Mentoring",
            through_fields=("mentor", "mentee"),
            related_name="teachers",
        )

        class Meta:
            app_label = "clinic"

    class Mentoring(models.Model):
        mentor = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")
        mentee = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")

        class Meta:
            app_label = "clinic"
            unique_together = [("mentor", "mentee")]

    errors = {
        f.name: [e.id for e in f.check()]
        for f in Doctor._meta.private_fields
        if isinstance(f, weakrel.WeakManyToManyField)
    }
    assert errors == {"mentors": ["weakrel.E102"], "mentees": ["weakrel.E103"], "students": []}
    field = Doctor._meta.get_field("students")
    assert [k.name for k in field.through_keys] == ["mentor", "mentee"]


def _slot_warnings(**meta) -> list[checks.CheckMessage]:
    """The W101 warnings of a relation through a ``Slot`` with this ``Meta``."""

    class Client(models.Model):
        class Meta:
            app_label = "clinic"

    class Doctor(models.Model):
        clients = weakrel.WeakManyToManyField(Client, through="clinic.Slot")

        class Meta:
            app_label = "clinic"

    class Slot(models.Model):
        doctor = weakrel.WeakForeignKey(Doctor, weakrel.CASCADE, related_name="+")
        client = weakrel.WeakForeignKey(Client, weakrel.CASCADE, related_name="+")
        slot = models.IntegerField(default=0)

        Meta = type("Meta", (), {"app_label": "clinic", **meta})

    return [e for e in Doctor._meta.get_field("clients").check() if e.id == "weakrel.W101"]


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"unique_together": [("doctor", "slot")]},
        {
            "constraints": [
                models.UniqueConstraint(
                    fields=["doctor", "client"], name="u", condition=models.Q(slot=0)
                )
            ]
        },
        {
            "constraints": [
                models.UniqueConstraint(
                    fields=["doctor", "client"], name="u", deferrable=models.Deferrable.DEFERRED
                )
            ]
        },
    ],
    ids=["none", "another-pair", "conditional", "deferred"],
)
@isolate_apps("tests.clinic")
def test_check_through_without_a_unique_pair_warns(meta):
    [warning] = _slot_warnings(**meta)
    assert warning.level == checks.WARNING
    assert warning.msg == (
        "The through model 'clinic.Slot' of 'clinic.Doctor.clients' has no unique "
        "constraint on ['doctor', 'client']: add() calls made at the same time can "
        "store the same link twice."
    )
    assert "UniqueConstraint(fields=['doctor', 'client']" in warning.hint


@pytest.mark.parametrize(
    "meta",
    [
        {"unique_together": [("client", "doctor")]},
        {"unique_together": [("doctor_id", "client_id")]},
        {"constraints": [models.UniqueConstraint(fields=["doctor", "client"], name="u")]},
        {"constraints": [models.UniqueConstraint(fields=["client"], name="u")]},
    ],
    ids=["unique_together", "attnames", "constraint", "one-key"],
)
@isolate_apps("tests.clinic")
def test_check_through_with_a_unique_pair_is_quiet(meta):
    assert _slot_warnings(**meta) == []


def test_the_registered_check_runs_the_field_checks():
    from django.apps import apps

    from weakrel.base import check_private_fields

    # A referral names a physician, a specialist and a patient: a pair may repeat.
    assert [(e.id, e.obj.name) for e in check_private_fields()] == [
        ("weakrel.W101", "referred_patients"),
        ("weakrel.W101", "consultants"),
    ]
    field = Physician._meta.get_field("patients")
    real = field.remote_field.through_fields
    field.remote_field.through_fields = ("physician", "at")
    try:
        errors = check_private_fields([apps.get_app_config("clinic")])
    finally:
        field.remote_field.through_fields = real
    assert [e.id for e in errors] == ["weakrel.E103", "weakrel.W101", "weakrel.W101"]


@pytest.mark.django_db(databases="__all__")
def test_full_clean_passes_the_relation_by_on_both_sides():
    physician = Physician.objects.create(name="Ann")
    patient = Patient.objects.create(name="Bo")
    physician.full_clean()
    patient.full_clean()
    Physician(name="").full_clean(exclude=["name"])


@pytest.mark.django_db(databases="__all__")
def test_aggregating_through_the_relation_is_refused_not_wrong():
    from django.core.exceptions import FieldError
    from django.db.models import Count

    Physician.objects.create(name="Ann")
    Patient.objects.create(name="Bo")
    with pytest.raises(FieldError, match="'patients' is a weak relation"):
        list(Physician.objects.annotate(n=Count("patients")))
    with pytest.raises(FieldError, match="'physicians' is a weak relation"):
        list(Patient.objects.annotate(n=Count("physicians")))
