"""The clinic's REST API: a HasManyThrough (``WeakManyToManyField``) over HTTP.

Try ``/api/physicians/?include=patients``, ``/api/physicians/?patients__name=Bo``
and ``/api/physicians/1/patients/`` (``POST``/``DELETE .../patients/{pk}/`` link and
unlink a patient).
"""

from django.urls import include, path
from django.utils import timezone
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination

from weakrel.rest_framework import IncludeModelSerializer, IncludeViewSetMixin
from weakrel.rest_framework.filters import WeakFilterBackend
from weakrel.rest_framework.relations import RelationRouter, RelationViewSetMixin

from .models import Patient, Physician


class PatientSerializer(IncludeModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "name"]
        includes = {"physicians": "example_project.clinic.api.PhysicianSerializer"}
        include_scopes = {"physicians": {"ordering_fields": ["name", "id"], "count": True}}


class PhysicianSerializer(IncludeModelSerializer):
    class Meta:
        model = Physician
        # patients_ids: the linked patients' keys, written with physician.patients.set().
        fields = ["id", "name", "patients_ids"]
        includes = {"patients": PatientSerializer}
        include_scopes = {"patients": {"ordering_fields": ["name", "id"], "count": True}}
        # New appointments need a time: used when patients_ids adds links.
        through_defaults = {"patients": {"at": timezone.now}}


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500


class PhysicianViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Physician.objects.order_by("id")
    serializer_class = PhysicianSerializer
    pagination_class = Pagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"name": ["exact", "icontains"], "patients__name": ["exact", "icontains"]}


class PatientViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Patient.objects.order_by("id")
    serializer_class = PatientSerializer
    pagination_class = Pagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"physicians__name": ["exact"]}


class PhysicianPatientViewSet(RelationViewSetMixin, PatientViewSet):
    """``/physicians/{parent_pk}/patients/``: one physician's patients."""

    parent_queryset = Physician.objects.all()
    relation = "patients"
    through_defaults = {"at": timezone.now}


router = RelationRouter()
router.register("physicians", PhysicianViewSet)
router.register("patients", PatientViewSet)
router.register_relation("physicians", "patients", PhysicianPatientViewSet)

urlpatterns = [path("", include(router.urls))]
