"""HasManyThrough test models; tests/settings.py routes each to its database.

default: Physician, Record, Clinic    orders: Appointment, Referral    third: Patient, Visit
"""

from django.db import models

import weakrel


class Physician(models.Model):
    name = models.CharField(max_length=100)
    patients = weakrel.WeakManyToManyField(
        "clinic.Patient", through="clinic.Appointment", related_name="physicians"
    )
    referred_patients = weakrel.WeakManyToManyField(
        "clinic.Patient",
        through="clinic.Referral",
        through_fields=("referrer", "patient"),
        related_name="referrers",
    )
    # A relation to self: who this physician referred patients to.
    consultants = weakrel.WeakManyToManyField(
        "self",
        through="clinic.Referral",
        through_fields=("referrer", "specialist"),
        related_name="consulted_by",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Appointment(models.Model):
    physician = weakrel.WeakForeignKey(Physician, on_delete=weakrel.CASCADE)
    patient = weakrel.WeakForeignKey("clinic.Patient", on_delete=weakrel.CASCADE)
    at = models.DateTimeField()
    room = models.CharField(max_length=10, blank=True)

    class Meta:
        # One appointment per pair: add() calls racing each other store one link.
        constraints = [
            models.UniqueConstraint(fields=["physician", "patient"], name="one_appointment")
        ]


class Patient(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Record(models.Model):
    patient = weakrel.WeakForeignKey(Patient, on_delete=weakrel.CASCADE, related_name="records")
    text = models.CharField(max_length=100, blank=True)


# A through model whose keys to the physician are chosen with through_fields.
class Referral(models.Model):
    referrer = weakrel.WeakForeignKey(Physician, weakrel.CASCADE, related_name="referrals_made")
    specialist = weakrel.WeakForeignKey(
        Physician, weakrel.CASCADE, related_name="referrals_received"
    )
    patient = weakrel.WeakForeignKey(Patient, weakrel.PROTECT, related_name="referrals")


class Clinic(models.Model):
    name = models.CharField(max_length=100)
    referred = weakrel.WeakManyToManyField(Patient, through="clinic.Visit", related_name="clinics")
    # No reverse accessor on Patient.
    seen = weakrel.WeakManyToManyField(Patient, through="clinic.Visit", related_name="+")


class Visit(models.Model):
    clinic = weakrel.WeakForeignKey(Clinic, weakrel.CASCADE, related_name="visits")
    patient = weakrel.WeakForeignKey(Patient, weakrel.PROTECT, related_name="visits")

    class Meta:
        unique_together = [("clinic", "patient")]


# Subclasses of the source of WeakManyToManyFields (tests/test_inheritance.py).
class Surgeon(Physician):
    theatre = models.CharField(max_length=10, blank=True)


class Locum(Physician):
    class Meta:
        proxy = True
