"""Where the files that ship with the workbench are: notebooks, templates, the package itself.

The repository keeps ``notebooks/`` and ``templates/`` at its top level, where
analysts open them; the build maps them into the package as
``workbench.notebooks`` and ``workbench.templates`` (see ``pyproject.toml``),
so an installed wheel carries them. Code finds them here, through
:mod:`importlib.resources`, and never by a path relative to a checkout: the
same call works in an editable install, in a wheel installed anywhere, and
from any working directory.

The files must be on a file system (papermill, nbconvert and Jinja read
paths); a zipped install is refused with a clear message.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import WorkbenchError

__all__ = ["ResourceError", "notebook", "notebooks_dir", "package_parent", "templates_dir"]


class ResourceError(WorkbenchError):
    """A file that ships with the workbench is missing or not on a file system."""


def _folder(package: str) -> Path:
    """The folder of ``package`` as a real path."""
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise ResourceError(f"{package} is not installed: reinstall the workbench (pip install workbench)") from None
    if not isinstance(root, Path) or not root.is_dir():
        raise ResourceError(f"{package} is not a folder on disk ({root}); install the workbench unzipped")
    return root


def templates_dir() -> Path:
    """The templates folder: ``report/`` (nbconvert) and ``dunning/`` (letters)."""
    return _folder("workbench.templates")


def notebooks_dir() -> Path:
    """The folder of the report and desk notebooks."""
    return _folder("workbench.notebooks")


def notebook(name: str) -> Path:
    """The notebook ``<name>.ipynb`` that ships with the workbench.

    >>> notebook("weekly_collections").name
    'weekly_collections.ipynb'
    """
    path = notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in notebooks_dir().glob("*.ipynb")))
        raise ResourceError(f"no notebook called {name!r}; the notebooks are: {known}")
    return path


def package_parent() -> Path:
    """The folder that holds the imported ``workbench`` package (put first on a kernel's ``PYTHONPATH``)."""
    return _folder("workbench").parent
