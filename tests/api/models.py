"""Many-to-many models for the relation endpoint tests (both in ``default``)."""

from django.db import models


class Patient(models.Model):
    name = models.CharField(max_length=100)


class Physician(models.Model):
    name = models.CharField(max_length=100)
    patients = models.ManyToManyField(Patient, related_name="physicians", blank=True)
