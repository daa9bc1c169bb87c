#!/usr/bin/env bash
# Build the sdist and the wheel, check what they ship, install each into a fresh
# virtualenv and run a smoke test: two SQLite databases, a router, a WeakForeignKey
# across them, save, read across, delete with cascade.
#
#   ./scripts/check_package.sh
#
# Needs network access to PyPI (build requirements, Django). Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> Building into $work/dist"
"$python" -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q --upgrade pip build
"$work/build-env/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; exit 1; }
wheel="$(ls "$work"/dist/*.whl)"
sdist="$(ls "$work"/dist/*.tar.gz)"
echo "    $(basename "$wheel")"
echo "    $(basename "$sdist")"

echo "==> Checking contents"
"$work/build-env/bin/python" - "$wheel" "$sdist" <<'PY'
import sys
import tarfile
import zipfile

wheel, sdist = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
with tarfile.open(sdist) as t:
    sdist_names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
problems = []
for required in ("weakrel/py.typed", "weakrel/__init__.py", "weakrel/admin/__init__.py"):
    if required not in names:
        problems.append(f"wheel lacks {required}")
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
    problems.append("wheel lacks the LICENSE file")
if any(n.startswith(("tests/", "example_project/")) for n in names):
    problems.append("wheel ships tests or the example project")
for required in ("weakrel/py.typed", "LICENSE", "setup.cfg", "pyproject.toml"):
    if required not in sdist_names:
        problems.append(f"sdist lacks {required}")
if "License: BSD-3-Clause" not in metadata.splitlines():
    problems.append("METADATA does not name the BSD-3-Clause license")
if problems:
    sys.exit("\n".join(problems))
print(f"    wheel: {len(names)} files, py.typed and LICENSE included")
print(f"    sdist: {len(sdist_names)} entries, py.typed and LICENSE included")
PY

# A throwaway app with one model per database.
mkdir -p "$work/smoke/smokeapp"
touch "$work/smoke/smokeapp/__init__.py"
cat >"$work/smoke/smokeapp/models.py" <<'PY'
from django.db import models

import weakrel


class Customer(models.Model):
    name = models.CharField(max_length=50)


class Order(models.Model):
    customer = weakrel.WeakForeignKey(Customer, weakrel.CASCADE, related_name="orders")
PY
cat >"$work/smoke/smoke.py" <<'PY'
import sys
import tempfile

import django
from django.conf import settings
from django.core.management import call_command

tmp = tempfile.mkdtemp()


class Router:
    def _db(self, model):
        return "orders" if model._meta.label_lower == "smokeapp.order" else "default"

    def db_for_read(self, model, **hints):
        return self._db(model)

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label != "smokeapp":
            return db == "default"
        return model_name is None or self._db(django.apps.apps.get_model(app_label, model_name)) == db


settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "weakrel", "smokeapp"],
    DATABASES={
        alias: {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{tmp}/{alias}.sqlite3"}
        for alias in ("default", "orders")
    },
    DATABASE_ROUTERS=[Router()],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()
for alias in ("default", "orders"):
    call_command("migrate", run_syncdb=True, database=alias, verbosity=0)

import weakrel  # noqa: E402
import weakrel.admin  # noqa: E402,F401
from smokeapp.models import Customer, Order  # noqa: E402

ada = Customer.objects.create(name="Ada")
order = Order.objects.create(customer=ada)
assert Order.objects.using("orders").filter(pk=order.pk).exists()
assert not Order.objects.none().exists()
assert Order.objects.get(pk=order.pk).customer.name == "Ada"
assert list(ada.orders.all()) == [order]
assert list(Order.objects.filter(customer__name="Ada")) == [order]
try:
    Order.objects.create(customer_id=ada.pk + 1)
except weakrel.DanglingReferenceError:
    pass
else:
    sys.exit("a dangling key was saved")
ada.delete()
assert Order.objects.count() == 0, "the cascade did not reach the orders database"
print(f"    weakrel {weakrel.__version__} on Django {django.get_version()}: smoke test passed")
PY

for artifact in "$wheel" "$sdist"; do
    echo "==> Fresh venv with $(basename "$artifact")"
    rm -rf "$work/venv"
    "$python" -m venv "$work/venv"
    "$work/venv/bin/pip" install -q --upgrade pip
    "$work/venv/bin/pip" install -q "$artifact"
    (cd "$work/smoke" && "$work/venv/bin/python" smoke.py)
done
echo "Package check passed."
