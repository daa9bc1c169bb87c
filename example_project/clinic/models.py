"""HasManyThrough: physicians and patients in ``default``, their appointments in
``orders``. ``physician.patients`` reads the appointments first, then the patients.
"""

from django.db import models

import weakrel


class Physician(models.Model):
    name = models.CharField(max_length=100)
    patients = weakrel.WeakManyToManyField(
        "clinic.Patient", through="clinic.Appointment", related_name="physicians"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Patient(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Appointment(models.Model):
    """The through model: one row per link, in another database."""

    physician = weakrel.WeakForeignKey(
        Physician, on_delete=weakrel.CASCADE, related_name="appointments"
    )
    patient = weakrel.WeakForeignKey(
        Patient, on_delete=weakrel.CASCADE, related_name="appointments"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        # One row per link, even when two add() calls race (weakrel.W101 without it).
        constraints = [
            models.UniqueConstraint(fields=["physician", "patient"], name="one_appointment")
        ]

    def __str__(self):
        return f"Appointment {self.pk} at {self.at:%Y-%m-%d %H:%M}"
