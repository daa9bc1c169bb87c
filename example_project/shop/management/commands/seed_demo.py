"""``manage.py seed_demo``: fill both databases with a small, repeatable shop, clinic
and blog."""

import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from example_project.blog.models import Article, Comment, Tag
from example_project.clinic.models import Appointment, Patient, Physician
from example_project.shop.models import Customer, Order, OrderLine, Product, Profile

PRODUCTS = [
    ("Espresso beans", "COF-001", "12.50"),
    ("Filter beans", "COF-002", "10.90"),
    ("Green tea", "TEA-001", "7.20"),
    ("Earl Grey", "TEA-002", "6.80"),
    ("Ceramic mug", "MUG-001", "9.00"),
    ("Travel mug", "MUG-002", "18.00"),
    ("Hand grinder", "GRD-001", "45.00"),
    ("Pour-over kettle", "KTL-001", "39.00"),
]
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Linus"]
PHYSICIANS = {"Dr Ann": ["Bo", "Cy"], "Dr Ben": ["Cy", "Di"], "Dr Cal": []}
TAGS = ["django", "python", "sql"]
ARTICLES = {"ORM tips": ["sql", "django"], "Pythonic Django": ["python", "django"], "Notes": []}
COUNTRIES = ["GB", "US", "NL", "DE", "FR"]
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(0))
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson"]


class Command(BaseCommand):
    help = (
        "Create demo customers, products, physicians, patients and articles (database "
        "'default') and orders, order lines, profiles, appointments and tags (database "
        "'orders'), and the admin user 'admin' with a printed password. Running it again "
        "adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=20, help="How many customers.")
        parser.add_argument(
            "--no-admin", action="store_true", help="Do not create the admin user 'admin'."
        )

    def handle(self, *args, customers: int, no_admin: bool = False, **options):
        products = [
            Product.objects.get_or_create(
                sku=sku, defaults={"name": name, "price": Decimal(price)}
            )[0]
            for name, sku, price in PRODUCTS
        ]
        created = {"customers": 0, "orders": 0, "lines": 0, "profiles": 0}
        for i in range(customers):
            name = f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}"
            customer, new = Customer.objects.get_or_create(
                email=f"customer{i + 1}@example.com",
                defaults={"name": name, "country": COUNTRIES[i % len(COUNTRIES)]},
            )
            created["customers"] += new
            if i % 3 != 2:
                _, new = Profile.objects.get_or_create(
                    customer=customer, defaults={"bio": f"{name} likes good coffee."}
                )
                created["profiles"] += new
            if customer.orders.exists():
                continue
            # Seeded per customer: a customer drawn without orders stays without.
            rng = random.Random(i)
            for _ in range(rng.randint(0, 3)):
                order = customer.orders.create()
                total = Decimal("0")
                for product in rng.sample(products, rng.randint(1, 3)):
                    quantity = rng.randint(1, 4)
                    order.lines.create(product=product, quantity=quantity)
                    total += product.price * quantity
                    created["lines"] += 1
                order.total = total
                # A fixed time instead of now(), so the docs show what the API prints.
                order.created = OPENED + timedelta(hours=Order.objects.count())
                order.save(update_fields=["total", "created"])
                created["orders"] += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"default: {Customer.objects.count()} customers, {Product.objects.count()} "
                f"products; orders: {Order.objects.count()} orders, "
                f"{OrderLine.objects.count()} order lines, {Profile.objects.count()} profiles "
                f"(created now: {created['customers']} customers, {created['orders']} orders, "
                f"{created['lines']} lines, {created['profiles']} profiles)."
            )
        )
        self.seed_clinic()
        self.seed_blog()
        if not no_admin:
            self.create_admin()

    def create_admin(self):
        """The superuser "admin", once, with a random password printed here."""
        users = get_user_model().objects
        if users.filter(username="admin").exists():
            self.stdout.write(
                "admin: user 'admin' exists (python manage.py changepassword admin sets "
                "a new password)."
            )
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser("admin", "admin@example.com", password)
        self.stdout.write(self.style.SUCCESS(f"admin: user 'admin' created, password: {password}"))

    def seed_clinic(self):
        first = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(0))
        for i, (name, patients) in enumerate(PHYSICIANS.items()):
            physician, _ = Physician.objects.get_or_create(name=name)
            for j, patient_name in enumerate(patients):
                patient, _ = Patient.objects.get_or_create(name=patient_name)
                # add() writes nothing for a patient linked already.
                at = first + timedelta(days=i, hours=j)
                physician.patients.add(patient, through_defaults={"at": at})
        self.stdout.write(
            self.style.SUCCESS(
                f"clinic: {Physician.objects.count()} physicians, {Patient.objects.count()} "
                f"patients (default); {Appointment.objects.count()} appointments (orders)."
            )
        )

    def seed_blog(self):
        tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
        for title, names in ARTICLES.items():
            Article.objects.get_or_create(
                title=title, defaults={"tags": [tags[name] for name in names]}
            )
        if not Comment.objects.exists():
            articles = list(Article.objects.order_by("pk")[:2])
            products = list(Product.objects.order_by("pk")[:2])
            for n, target in enumerate([articles[0], products[0], articles[0], products[1]]):
                Comment.objects.create(text=f"Comment {n + 1} on {target}", target=target)
        self.stdout.write(
            self.style.SUCCESS(
                f"blog: {Article.objects.count()} articles (default), "
                f"{Tag.objects.count()} tags, {Comment.objects.count()} comments (orders)."
            )
        )
