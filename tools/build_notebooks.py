"""Write the committed report notebooks from their cell sources (run once after editing).

Notebooks stay thin: a parameters cell, then calls into ``workbench``. Each
notebook's cells live in ``tools/notebook_specs/<name>.py`` (``TITLE`` and
``CELLS``: a list of ``("md" | "params" | "code", source)``), which keeps their
source reviewable like code; ``python tools/build_notebooks.py`` rewrites
``notebooks/<name>.ipynb`` without outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def notebook(cells: list[tuple[str, str]], title: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    for kind, source in cells:
        source = source.strip("\n")
        if kind == "md":
            nb.cells.append(new_markdown_cell(source))
        elif kind == "params":
            nb.cells.append(new_code_cell(source, metadata={"tags": ["parameters"]}))
        else:
            nb.cells.append(new_code_cell(source))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["report"] = {"title": title}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def specs() -> dict[str, object]:
    """Every notebook spec module in tools/notebook_specs, by notebook name."""
    import importlib.util

    out = {}
    for path in sorted((ROOT / "tools" / "notebook_specs").glob("*.py")):
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        out[path.stem] = module
    return out


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, module in specs().items():
        nbformat.write(notebook(module.CELLS, module.TITLE), out / f"{name}.ipynb")


if __name__ == "__main__":
    main()
