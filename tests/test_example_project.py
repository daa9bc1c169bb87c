"""The example project's models, migrations and system checks stay in step."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["makemigrations", "--check", "--dry-run"],
        ["check"],
    ],
    ids=["makemigrations-check", "check"],
)
def test_example_project_command(command, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "WEAKREL_DB": "sqlite",
        # makemigrations opens each database to check its history; keep the files out
        # of the checkout.
        "WEAKREL_EXAMPLE_SQLITE_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    if command[0] == "makemigrations":
        assert "No changes detected" in result.stdout
