"""The clinic in the admin: a physician's appointments (the through rows of
Physician.patients, in database "orders") edited on the physician's page."""

from django.contrib import admin

from example_project.clinic.models import Appointment, Patient, Physician
from weakrel.admin import WeakModelAdmin, WeakTabularInline


class AppointmentInline(WeakTabularInline):
    model = Appointment
    extra = 0


@admin.register(Physician)
class PhysicianAdmin(WeakModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [AppointmentInline]


@admin.register(Patient)
class PatientAdmin(WeakModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Appointment)
class AppointmentAdmin(WeakModelAdmin):
    # Links to the physician and the patient, which live in another database.
    list_display = ["__str__", "physician", "patient", "at"]
    list_filter = ["physician", "at"]
    search_fields = ["patient__name"]
