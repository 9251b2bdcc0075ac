"""The report notebooks and their jupytext scripts stay one source.

Each ``notebooks/<name>.ipynb`` is paired (``jupytext.toml``) with a py:percent
script ``notebooks/<name>.py``: the script is what reviewers and ruff read, the
notebook is what papermill and nbval run. These tests fail when one of the two
was edited without ``jupytext --sync notebooks/*.ipynb``, when the cell code
does not lint, or when a notebook grows logic of its own.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from jupytext.config import load_jupytext_config
from jupytext.paired_paths import paired_paths

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SCRIPTS = sorted(
    p for p in (ROOT / "notebooks").glob("*.py") if p.name != "__init__.py"
)  # __init__: the package marker
SYNC_HINT = "run `jupytext --sync notebooks/*.ipynb` (the newer file of each pair wins)"


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.metadata.get("tags", []))


def test_the_report_notebooks_are_found() -> None:
    assert {"weekly_collections.ipynb", "collector_desk.ipynb"} <= set(_ids(NOTEBOOKS))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_jupytext_toml_pairs_the_notebook_with_its_script(notebook: Path) -> None:
    config = load_jupytext_config(str(notebook))
    assert config is not None, "jupytext.toml at the repository root is not found"
    formats = config.default_formats(str(notebook))
    assert formats, f"jupytext.toml does not pair {notebook.name}"
    paths = {Path(path) for path, _ in paired_paths(str(notebook), "ipynb", formats)}
    assert paths == {notebook, notebook.with_suffix(".py")}


def test_every_script_has_its_notebook() -> None:
    orphans = [s.name for s in SCRIPTS if not s.with_suffix(".ipynb").is_file()]
    assert orphans == [], f"scripts without a notebook (pair them, or delete them): {orphans}"


def test_no_script_is_collected_as_a_test() -> None:
    # `pytest --nbval-lax notebooks tests` walks notebooks/: keep the scripts out of pytest's test names.
    assert [s.name for s in SCRIPTS if s.stem.startswith("test") or s.stem.endswith("_test")] == []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_and_script_have_the_same_cells(notebook: Path) -> None:
    script = notebook.with_suffix(".py")
    assert script.is_file(), f"{notebook.name} has no script {script.name}: {SYNC_HINT}"
    nb, py = jupytext.read(notebook), jupytext.read(script)
    assert [(c.cell_type, c.source, _tags(c)) for c in py.cells] == [
        (c.cell_type, c.source, _tags(c)) for c in nb.cells
    ], f"{notebook.name} and {script.name} differ: {SYNC_HINT}"
    for key in ("kernelspec", "report"):
        assert py.metadata.get(key) == nb.metadata.get(key), f"metadata {key!r} differs: {SYNC_HINT}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_script_is_what_jupytext_writes_for_the_notebook(notebook: Path) -> None:
    expected = jupytext.writes(jupytext.read(notebook), fmt="py:percent", config=load_jupytext_config(str(notebook)))
    assert notebook.with_suffix(".py").read_text(encoding="utf-8") == expected, SYNC_HINT


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_keeps_what_the_reports_need(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["report"]["title"], "the report template prints metadata.report.title in the header"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and _tags(code[0]) == ["parameters"], "the first code cell is papermill's parameters cell"
    assert sum("parameters" in _tags(c) for c in nb.cells) == 1


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert dirty == [], (
        f"cells {dirty} of {notebook.name} have outputs: "
        f"`jupyter nbconvert --clear-output --inplace notebooks/{notebook.name}`"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_stays_thin(notebook: Path) -> None:
    """No function or class is defined in a notebook: logic lives in ``workbench`` where it is tested."""
    transform = TransformerManager().transform_cell  # IPython magics become plain Python calls
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(transform(cell.source), filename=f"{notebook.name}[{index}]")
        defined = [
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        assert defined == [], f"cell {index} of {notebook.name} defines {defined}: move them into workbench"


def test_scripts_pass_ruff() -> None:
    """Ruff lints the scripts with the rules of notebooks/ruff.toml."""
    assert SCRIPTS, "no notebook script found"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--output-format",
            "concise",
            *[str(s.relative_to(ROOT)) for s in SCRIPTS],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
