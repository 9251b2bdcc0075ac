"""The shipped open-item mappings of common ERP exports (``importers/presets/<name>.toml``).

A preset is an ordinary mapping file (``[source]``, ``[defaults]``,
``[columns]``, ``[values.*]``) checked for an open-item import; its header
comment names the export and the public description its columns follow.
docs/importers.md describes each one.

>>> sorted(preset_names())[:2]
['dynamics365-open-transactions', 'erpnext-accounts-receivable']
"""

from __future__ import annotations

import tomllib
from importlib import resources

from workbench.errors import ImportMappingError
from workbench.importers.generic_mapping import Mapping, parse_mapping

__all__ = ["load_preset", "preset_names", "preset_text"]

_FOLDER = "presets"


def preset_names() -> list[str]:
    """Names of the shipped presets (file names without ``.toml``), sorted."""
    folder = resources.files("workbench.importers").joinpath(_FOLDER)
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """The TOML text of preset ``name``; ``ImportMappingError`` lists the presets when it does not exist."""
    if name not in preset_names():
        raise ImportMappingError(f"unknown preset {name!r} (presets: {', '.join(preset_names())})")
    return resources.files("workbench.importers").joinpath(_FOLDER, f"{name}.toml").read_text(encoding="utf-8")


def load_preset(name: str) -> Mapping:
    """Preset ``name`` as a validated open-item mapping."""
    return parse_mapping(tomllib.loads(preset_text(name)), origin=f"preset {name}", kind="open_items")
