"""A fresh machine installs exactly the locked versions (issue: unlocked dependencies).

Builds a new virtual environment from `uv.lock` the way the README's commands do
and compares what landed in it with the lock, package by package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    # `uv run` tells the process where its uv is; otherwise it must be on PATH
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed: run the tests as the README says (uv run pytest)")
    return uv


def _readme_command(section: str) -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    body = readme.split(f"## {section}", 1)[1]
    return re.search(r"```sh\n(.+?)\n```", body, re.S).group(1).strip()  # type: ignore[union-attr]


def test_readme_commands_install_the_pinned_uv_and_the_lock() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    uv_pin = pyproject["tool"]["uv"]["required-version"].removeprefix("==")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert f'"uv=={uv_pin}"' in ci
    assert "uv lock --check" in ci and "uv sync --locked" in ci
    for section in ("Try it", "Test it"):
        command = _readme_command(section)
        assert command.startswith(f"pip install uv=={uv_pin} && uv run --locked "), command
    # CI runs the README's test command itself
    test_command = _readme_command("Test it").split(" && ", 1)[1]
    assert test_command in ci


def test_lock_matches_pyproject() -> None:
    result = subprocess.run(
        [_uv(), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_fresh_environment_gets_exactly_the_locked_versions(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    # the install step of the README's test command (`uv run --locked` syncs, then runs)
    result = subprocess.run(
        [_uv(), "sync", "--locked"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    listed = subprocess.run(
        [_uv(), "pip", "list", "--format", "json", "--python", str(venv / "bin" / "python")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    installed = {
        p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listed.stdout)
    }

    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    # a package may be locked at several versions, one per Python range (numpy 2.5 needs
    # Python 3.12: this interpreter gets the 2.4 entry)
    locked: dict[str, set[str]] = {}
    for package in lock["package"]:
        if package["name"] != "campaignbot":
            locked.setdefault(package["name"], set()).add(package["version"])
    for name in ("babel", "python-telegram-bot", "sqlalchemy", "pytest", "ruff", "mypy"):
        assert name in locked
    # every locked package that applies to this platform is installed at a locked version
    mismatched = {
        n: (v, installed.get(n))
        for n, v in locked.items()
        if n in installed and installed[n] not in v
    }
    assert mismatched == {}
    assert len(installed) > 40
    assert installed["campaignbot"] == pyproject_version()
    # nothing beyond the lock (apart from the project itself)
    assert set(installed) - set(locked) - {"campaignbot"} == set()
    # and the environment works: Babel from the lock knows the new CLDR plural forms
    check = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "from babel import Locale; from babel.messages.plurals import get_plural;"
            "print(get_plural(Locale.parse('es')).num_plurals)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert check.stdout.strip() == "3"


def pyproject_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"])
