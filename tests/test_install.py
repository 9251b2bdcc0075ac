"""The built wheel is the product: installed into a fresh environment, it runs outside the checkout.

The slow test builds a wheel from this repository, installs it with the locked
dependencies into a new virtual environment, and from an empty folder far from
the checkout runs ``workbench demo`` and ``workbench report weekly`` with that
environment's command. It proves that every sub-package, notebook and template
travels in the wheel and that nothing is read relative to a checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]


def test_every_sub_package_is_declared_for_the_wheel() -> None:
    found = sorted(".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "workbench").rglob("__init__.py"))
    mapped = {"workbench.notebooks", "workbench.templates"}
    assert sorted(set(_declared_packages()) - mapped) == found
    assert mapped <= set(_declared_packages())
    assert (ROOT / "notebooks" / "__init__.py").is_file() and (ROOT / "templates" / "__init__.py").is_file()


def test_licence_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_wheel_installed_in_a_fresh_venv_runs_demo_and_weekly_report(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "WORKBENCH_LEDGER", "WORKBENCH_JOURNAL")
    }
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)], tmp_path, env)
    wheel = next(dist.glob("workbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "workbench/demo/__init__.py",
        "workbench/notebooks/weekly_collections.ipynb",
        "workbench/templates/report/index.html.j2",
        "workbench/templates/dunning/en/reminder.j2",
        "workbench/data/credit/policy.toml",
    ):
        assert expected in names, expected
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)

    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements.lock")], tmp_path, env)
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], tmp_path, env)

    elsewhere = tmp_path / "team"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import workbench; print(workbench.__file__)"], elsewhere, env).stdout.strip()
    assert Path(where).is_relative_to(target) and not Path(where).is_relative_to(ROOT)
    command = str(target / "bin" / "workbench")
    _run([command, "demo", "--out", "company/ledger", "--as-of", "2026-11-20"], elsewhere, env)
    _run(
        [command, "report", "weekly", "--ledger", "company/ledger", "--as-of", "2026-11-20", "--out", "out"],
        elsewhere,
        env,
    )
    summary = json.loads((elsewhere / "out" / "weekly_summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2026-11-20" and summary["reporting_currency"] == "EUR"
    assert (elsewhere / "out" / "weekly_collections_2026-11-20.pdf").read_bytes().startswith(b"%PDF")
    assert not list(Path(where).parent.rglob("weekly_collections_*.html"))  # nothing written beside the package
