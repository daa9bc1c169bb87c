"""The test suite on every supported Python and Django (docs/getting-started.md#supported-versions).

    nox                                  # every combination, on SQLite
    nox -s "tests(py3.13-django6.1)"     # one combination
    nox -- -x -k prefetch                # arguments after -- go to pytest
    nox -j auto                          # sessions side by side, one per CPU
    WEAKREL_DB=postgres-mariadb nox      # another database pair (tests/databases.py)

./scripts/test.sh runs the main combination (the project's .venv) on both database
pairs, then `nox -t others -j auto` (every combination but the main one) on SQLite.
"""

import contextlib
import fcntl
import glob
import os
import re
import shutil
import subprocess
from collections.abc import Iterator

import nox

# (Python, Django); the first is the main combination: the project's .venv, the one
# ./scripts/test.sh runs on both database pairs.
MAIN = ("3.11", "5.2")
COMBINATIONS = [
    MAIN,
    ("3.10", "5.2"),
    ("3.13", "5.2"),
    ("3.12", "6.0"),
    ("3.13", "6.1"),
]

HERE = os.path.dirname(os.path.abspath(__file__))
nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"


def _runs(command: str) -> bool:
    try:
        return subprocess.run([command, "-c", ""], capture_output=True).returncode == 0
    except OSError:
        return False


def _expose_pyenv_pythons() -> None:
    """Make `pythonX.Y` run pyenv's interpreter for the versions the PATH does not run.

    pyenv's shims answer for the selected version only: `python3.10` is found, then
    fails. Nox looks interpreters up on PATH, so link each missing one into .nox/bin
    and put that first.
    """
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    links = os.path.join(HERE, ".nox", "bin")
    for python in sorted({python for python, _ in COMBINATIONS}):
        name = f"python{python}"
        if shutil.which(name) and _runs(name):
            continue
        found = sorted(
            (
                path
                for path in glob.glob(os.path.join(root, "versions", f"{python}.*", "bin", name))
                if re.fullmatch(r"[\d.]+", path.split(os.sep)[-3])
            ),
            key=lambda path: [int(part) for part in path.split(os.sep)[-3].split(".")],
        )
        link = os.path.join(links, name)
        if found and os.path.realpath(link) != os.path.realpath(found[-1]):
            # Atomically: the sessions of `nox -j` each load this file at once.
            os.makedirs(links, exist_ok=True)
            os.symlink(found[-1], f"{link}.{os.getpid()}")
            os.replace(f"{link}.{os.getpid()}", link)
    if os.path.isdir(links):
        os.environ["PATH"] = links + os.pathsep + os.environ["PATH"]


_expose_pyenv_pythons()


@contextlib.contextmanager
def _one_install_at_a_time() -> Iterator[None]:
    """Sessions run in parallel (`nox -j`) build the same checkout's egg-info: in turn."""
    os.makedirs(os.path.join(HERE, ".nox"), exist_ok=True)
    with open(os.path.join(HERE, ".nox", "install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# uv when installed (weakrel[dev] brings it): it creates and fills a venv in seconds.
@nox.session(venv_backend="uv|virtualenv", allow_parallel=True)
@nox.parametrize(
    "python,django",
    [
        nox.param(
            python,
            django,
            id=f"py{python}-django{django}",
            tags=["main" if (python, django) == MAIN else "others"],
        )
        for python, django in COMBINATIONS
    ],
)
def tests(session: nox.Session, django: str) -> None:
    """pytest on one Python and the newest release of one Django feature version."""
    pair = os.environ.get("WEAKREL_DB", "sqlite")
    extras = "test" if pair == "sqlite" else "test,postgres,mysql"
    with _one_install_at_a_time():
        session.install("-e", f".[{extras}]", f"Django~={django}.0")
    # The session runs the Python and Django it is named after, or it fails.
    found = session.run(
        "python",
        "-c",
        "import platform, django; print(platform.python_version(), django.get_version())",
        silent=True,
    )
    python_version, django_version = found.split()
    session.log(f"Python {python_version}, Django {django_version}")
    if not (
        python_version.startswith(f"{session.python}.") and django_version.startswith(f"{django}.")
    ):
        session.error(f"expected Python {session.python} and Django {django}")
    # Sessions side by side on the same servers need databases of their own.
    prefix = os.environ.get("WEAKREL_DB_PREFIX", "weakrel")
    prefix = f"{prefix}_py{session.python.replace('.', '')}_dj{django.replace('.', '')}"
    env = {"WEAKREL_DB": pair, "WEAKREL_DB_PREFIX": prefix}
    # tests/test_typing.py needs mypy (the typing extra, not installed here); what it
    # checks depends on django-stubs, not on the session's Django: the main
    # combination runs it.
    session.run("python", "-m", "pytest", "-m", "not typing", *session.posargs, env=env)
