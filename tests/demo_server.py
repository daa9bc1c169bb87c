"""Serves the example project for tests/test_demo_browser.py, in a process of its own
(its apps share labels with the suite's): migrates fresh SQLite files in
WEAKREL_EXAMPLE_SQLITE_DIR, runs seed_demo, prints the admin's password, then serves
on the port given (``runserver`` without the reloader, static files included).

    python -m tests.demo_server 8123
"""

import io
import os
import re
import sys


def main(port: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    os.environ["WEAKREL_DB"] = "sqlite"
    import django

    django.setup()
    from django.core.management import call_command

    for alias in ("default", "orders"):
        call_command("migrate", database=alias, verbosity=0)
    out = io.StringIO()
    call_command("seed_demo", customers=4, stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue()).group(1)
    print(f"password: {password}", flush=True)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1])
