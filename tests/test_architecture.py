"""The shape of the package: layers that read one way and no import circle (docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept() -> None:
    """The layers and the demo contract of pyproject.toml, as ``lint-imports`` checks them."""
    tool = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(tool), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout and "2 kept" in result.stdout


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_import_circle_counting_imports_inside_functions() -> None:
    """grimp reads every import statement, those inside functions included (not `if TYPE_CHECKING:` ones)."""
    built = grimp.build_graph(
        "workbench", include_external_packages=False, exclude_type_checking_imports=True, cache_dir=None
    )
    graph = {m: set(built.find_modules_directly_imported_by(m)) for m in built.modules}
    # a package's __init__ re-exporting its own modules is not a circle between layers
    for module, imported in graph.items():
        imported -= {m for m in imported if module.startswith(m + ".")}
    assert _cycles(graph) == []


def test_ruff_lint_is_clean_on_the_package_and_the_tests() -> None:
    """The lint level stated in pyproject.toml ([tool.ruff.lint]) holds."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "workbench", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format_is_applied() -> None:
    """The package and the tests are formatted by ``ruff format`` (pyproject.toml [tool.ruff])."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "workbench", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_is_clean_on_the_package() -> None:
    """The type-checking level stated in pyproject.toml ([tool.mypy]) holds on workbench/."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Success: no issues found" in result.stdout
