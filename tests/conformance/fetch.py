"""Fetch Django's test apps from the sdist of the installed Django, once per version.

The sdist is downloaded with pip (``pip download --no-deps --no-binary :all:``) into
the cache directory, and only the test apps the harness runs are extracted from it.
Nothing from Django's tests is kept in this repository.

Cache directory: ``$WEAKREL_CONFORMANCE_CACHE``, else
``$XDG_CACHE_HOME/weakrel-conformance``, else ``~/.cache/weakrel-conformance``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.conformance import APPS, SUPPORT_FILES


def cache_dir() -> Path:
    explicit = os.environ.get("WEAKREL_CONFORMANCE_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "weakrel-conformance"


def django_version() -> str:
    import django

    return django.get_version()


def download_sdist(version: str, into: Path) -> Path:
    """The sdist of Django ``version`` in ``into``, downloaded with pip if missing."""
    into.mkdir(parents=True, exist_ok=True)
    for name in (f"django-{version}.tar.gz", f"Django-{version}.tar.gz"):
        if (into / name).exists():
            return into / name
    print(f"==> Downloading the Django {version} sdist with pip", file=sys.stderr, flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"Django=={version}",
            "-d",
            str(into),
        ],
        check=True,
    )
    for name in (f"django-{version}.tar.gz", f"Django-{version}.tar.gz"):
        if (into / name).exists():
            return into / name
    raise FileNotFoundError(f"pip download left no Django {version} sdist in {into}")


def extract_tests(sdist: Path, into: Path) -> Path:
    """Extract the harness's apps from the sdist's tests/ into ``into``/tests."""
    wanted_dirs = tuple(f"tests/{app}/" for app in APPS)
    wanted_files = {f"tests/{name}" for name in SUPPORT_FILES}
    partial = into.with_name(into.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            _top, _sep, rest = member.name.partition("/")
            if rest.startswith(wanted_dirs) or rest in wanted_files:
                member.name = rest
                members.append(member)
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(partial, members=members, **kwargs)
    missing = [app for app in APPS if not (partial / "tests" / app).is_dir()]
    if missing:
        raise FileNotFoundError(f"{sdist.name} has no tests/ for: {', '.join(missing)}")
    shutil.rmtree(into, ignore_errors=True)
    partial.rename(into)
    return into / "tests"


def pristine_tests(version: str | None = None) -> Path:
    """Django's tests/ directory (only the harness's apps) for ``version``, cached."""
    version = version or django_version()
    root = cache_dir()
    source = root / f"django-{version}"
    tests = source / "tests"
    if all((tests / app).is_dir() for app in APPS) and all(
        (tests / name).exists() for name in SUPPORT_FILES
    ):
        return tests
    sdist = download_sdist(version, root / "sdist")
    return extract_tests(sdist, source)
