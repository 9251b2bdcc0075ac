"""The set-up files agree with each other: a conda user and a pip user get the same environment."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["test"]


def test_environment_yml_pip_section_matches_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert [p for p in pip_section if p != "-e ."] == _pyproject_requirements()
    assert "-e ." in pip_section
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])


def test_lock_file_pins_every_direct_dependency_at_the_same_version() -> None:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = version
    for requirement in _pyproject_requirements():
        name, version = requirement.split("==")
        assert lock.get(name.lower()) == version, requirement


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "make test"


def _licence_text(name: str) -> str:
    from importlib import metadata

    meta = metadata.metadata(name)
    classifiers = [c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")]
    return " ; ".join([meta.get("License-Expression") or "", *classifiers, (meta.get("License") or "")[:200]])


def test_no_locked_dependency_is_copyleft_only() -> None:
    """Every locked package may be used by an Apache-2.0 application (docs/licences.md)."""
    offending = []
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" not in line or line.startswith("#"):
            continue
        text = _licence_text(line.split("==")[0]).upper()
        strong = (
            "AGPL" in text or "AFFERO" in text or (("GPL" in text.replace("LGPL", "")) or "GNU GENERAL PUBLIC" in text)
        )
        alternative = "LGPL" in text or "LESSER" in text or "MPL" in text or "MOZILLA" in text
        if strong and not alternative:
            offending.append(line)
    assert offending == []
