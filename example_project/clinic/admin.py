from django.contrib import admin

from example_project.clinic.models import Appointment, Patient, Physician


@admin.register(Physician)
class PhysicianAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    # The weak keys are edited as raw keys: the targets live in another database.
    list_display = ["__str__", "physician_id", "patient_id", "at"]
    list_filter = ["at"]
