"""Run a report notebook: execute with papermill, export HTML, render PDF.

``run_report`` is the one entry point. It

1. executes the notebook with papermill (parameters go into the cell tagged
   ``parameters``) on a kernel of *this* interpreter (see below) and saves the
   executed notebook as ``<out_dir>/<name>.ipynb``;
2. works out the header band (title, company, as-of, generated-from) and
   stores it in the executed notebook's ``metadata["report"]``;
3. exports ``<name>.html`` with the ``templates/report`` nbconvert template
   (no code, no prompts, no stderr, no remote resources) and refuses a page
   that would load anything from the network;
4. renders ``<name>.pdf`` from that HTML with WeasyPrint, fetching nothing
   but ``data:`` URLs (:func:`workbench.render.pdf.render_pdf`, re-exported
   here as ``render_pdf``).

Kernel: for ``kernel_name="python3"`` the kernel is always started as
``sys.executable -m ipykernel_launcher`` (the interpreter running this code,
e.g. ``.venv/bin/python`` even when the venv is not activated), whatever
``python3`` kernelspec a user or system Jupyter directory may hold, and with
the directory that holds the ``workbench`` package first on ``PYTHONPATH`` so
the notebook imports the same code as the runner.

Header: see ``templates/report/README.md`` for how a notebook sets its
title, company and as-of date.
"""

from __future__ import annotations

import copy as copy_module
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpec, KernelSpecManager
from traitlets import default

from workbench import __version__
from workbench.errors import ReportError
from workbench.outputs import OutputFolder, atomic_write_text
from workbench.render.display import HEADER_MIMETYPE
from workbench import resources
from workbench.render.pdf import render_pdf
from workbench.render.templates import DEFAULT_TEMPLATES_DIR

__all__ = [
    "notebook_path",
    "ReportResult",
    "export_html",
    "remote_references",
    "render_pdf",
    "run_report",
]

DEFAULT_TEMPLATES = DEFAULT_TEMPLATES_DIR
"""Directory holding the ``report/`` nbconvert template (``workbench.templates``)."""


def notebook_path(name: str) -> Path:
    """The report notebook ``<name>.ipynb`` shipped as ``workbench.notebooks``."""
    return resources.notebook(name)


_HEADER_KEYS = ("title", "subtitle", "company", "as_of", "classification", "orientation")


@dataclass(frozen=True)
class ReportResult:
    """Files written by :func:`run_report` and the wall-clock seconds it took."""

    ipynb: Path
    html: Path
    pdf: Path | None
    seconds: float


# --------------------------------------------------------------------------- kernel


class _CurrentPythonSpecs(KernelSpecManager):
    """Kernel specs where ``python3`` always means this interpreter's ipykernel."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        if kernel_name != NATIVE_KERNEL_NAME:
            return super().get_kernel_spec(kernel_name)
        from ipykernel.kernelspec import RESOURCES, get_kernel_dict

        spec = get_kernel_dict()
        spec["argv"][0] = sys.executable
        # the kernel's own start-up chatter (e.g. the notice that local TCP is unencrypted)
        # is not the report's business; execution errors still reach the runner as messages
        spec["argv"].append("--IPKernelApp.log_level=ERROR")
        paths = [str(resources.package_parent()), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
        return self.kernel_spec_class(resource_dir=RESOURCES, env=env, **spec)


class _CurrentPythonKernelManager(AsyncKernelManager):
    """Kernel manager resolving specs with :class:`_CurrentPythonSpecs`."""

    @default("kernel_spec_manager")
    def _default_specs(self) -> KernelSpecManager:
        return _CurrentPythonSpecs(data_dir=self.data_dir)


# ------------------------------------------------------------------- parameters


def _parameter_value(value: Any) -> Any:
    """Papermill-friendly value: dates, Decimals and paths become strings."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, Path)):
        return str(value)
    if isinstance(value, tuple):
        return [_parameter_value(item) for item in value]
    if isinstance(value, list):
        return [_parameter_value(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _parameter_value(item) for key, item in value.items()}
    return value


# ----------------------------------------------------------------------- header


def _display_date(value: Any) -> str:
    """``"2025-11-21"`` → ``"21 November 2025"``; any other text is kept as given."""
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            return text
        return f"{parsed.day} {parsed:%B %Y}"
    return text


def _leading_heading(nb: nbformat.NotebookNode) -> tuple[int, str] | None:
    """Index and text of a ``# Heading`` opening the first markdown cell, if any."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            continue
        if cell.cell_type != "markdown":
            return None
        first = cell.source.lstrip().split("\n", 1)[0]
        match = re.match(r"#\s+(.+?)\s*#*\s*$", first)
        return (index, match.group(1)) if match else None
    return None


def _runtime_header(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Fields set by ``display.report_header`` in the executed notebook (last one wins)."""
    fields: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(HEADER_MIMETYPE)
            if isinstance(data, Mapping):
                fields.update(data)
    return fields


def _header(
    nb: nbformat.NotebookNode, parameters: Mapping[str, Any], notebook: Path
) -> tuple[dict[str, str], int | None]:
    """Header fields, each from the first non-empty source of:

    parameters > ``display.report_header`` outputs > ``metadata["report"]``
    > (title only) the first markdown cell's ``# Heading`` > the file name.

    Returns the fields and the index of the first markdown cell when it opens
    with a ``# Heading``: that line is the report's title line and is left out
    of the body (the header band shows the title), whichever title wins.
    """
    sources = (parameters, _runtime_header(nb), dict(nb.metadata.get("report", {})))
    fields: dict[str, str] = {}
    for key in _HEADER_KEYS:
        for source in sources:
            value = source.get(key)
            if value not in (None, ""):
                fields[key] = str(value)
                break
    heading = _leading_heading(nb)
    lifted = heading[0] if heading is not None else None
    if "title" not in fields:
        if heading is not None:
            fields["title"] = heading[1]
        else:
            fields["title"] = notebook.stem.replace("_", " ").replace("-", " ").capitalize()
    if "as_of" in fields:
        fields["as_of"] = _display_date(fields["as_of"])
    if fields.get("orientation") not in ("portrait", "landscape"):
        fields["orientation"] = "landscape"
    now = datetime.now(UTC)
    fields["generated_at"] = f"{now:%Y-%m-%d %H:%M} UTC"
    fields["source"] = notebook.name
    fields["generator"] = f"workbench {__version__}"
    return fields, lifted


def _for_export(nb: nbformat.NotebookNode, lifted: int | None) -> nbformat.NotebookNode:
    """Copy of ``nb`` without header outputs and without the lifted heading line."""
    copy = nbformat.from_dict(copy_module.deepcopy(nb))
    for cell in copy.cells:
        if "outputs" in cell:
            cell.outputs = [out for out in cell.outputs if HEADER_MIMETYPE not in out.get("data", {})]
    if lifted is not None:
        cell = copy.cells[lifted]
        rest = cell.source.lstrip().split("\n", 1)
        cell.source = rest[1].lstrip("\n") if len(rest) > 1 else ""
        if not cell.source.strip():
            del copy.cells[lifted]
    return copy


# ----------------------------------------------------------------------- export


class _RemoteFinder(HTMLParser):
    """Collect URLs that a browser or WeasyPrint would fetch from the network."""

    _ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "background", "xlink:href"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if tag == "a" and name == "href":
                continue  # a link is only followed when clicked
            if name in self._ATTRS and value and _is_remote(value):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value:
                self.found.extend(_css_urls(value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(_css_urls(data))


def _is_remote(value: str) -> bool:
    text = value.strip().lower()
    return "http://" in text or "https://" in text or text.startswith("//") or text.startswith("ftp:")


def _css_urls(css: str) -> list[str]:
    pattern = r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)"""
    return [f"url({url})" for url in re.findall(pattern, css, flags=re.I) if _is_remote(url)]


def remote_references(html: str) -> list[str]:
    """Every reference in ``html`` that would load something from the network.

    Anchors (``<a href>``) are not counted: they are followed only on a click.
    """
    finder = _RemoteFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def export_html(
    nb: nbformat.NotebookNode, *, templates: Path = DEFAULT_TEMPLATES_DIR, template_name: str = "report"
) -> str:
    """HTML of an executed notebook through the report template (no code shown)."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    if not (templates / template_name / "index.html.j2").is_file():
        raise ReportError(f"report template not found: {templates / template_name / 'index.html.j2'}")
    exporter = HTMLExporter(
        template_name=template_name,
        extra_template_basedirs=[str(templates)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags={"remove-cell", "remove_cell", "hide-cell"},
            remove_all_outputs_tags={"remove-output", "remove_output", "hide-output"},
        ),
        enabled=True,
    )
    html, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": nb.metadata.get("report", {}).get("title", "Report")}}
    )
    return html


# ---------------------------------------------------------------------- failure


def _source_cell_number(nb: nbformat.NotebookNode, index: int) -> int:
    """1-based position of cell ``index`` among the notebook's own code cells."""
    count = 0
    for cell in nb.cells[: index + 1]:
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", []):
            count += 1
    return count


def _failed_cell(nb: nbformat.NotebookNode) -> int | None:
    """Index of the failing cell in a saved notebook: an error output, else papermill's status.

    Papermill's own ``cell_index`` counts cells before it inserted its error
    banners into the saved file, so it cannot index the saved notebook.
    """
    for index, cell in enumerate(nb.cells):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return index
    for status in ("failed", "running"):
        for index, cell in enumerate(nb.cells):
            if cell.metadata.get("papermill", {}).get("status") == status:
                return index
    return None


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return "(empty cell)"


def _failure(exc: BaseException, executed: Path, name: str) -> ReportError:
    """A ReportError naming the failing cell, the exception and the kept notebook."""
    nb = nbformat.read(executed, as_version=4) if executed.is_file() else None
    index = _failed_cell(nb) if nb is not None else None
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    if evalue is None:
        evalue = _first_line(str(exc)) if str(exc).strip() else ""
    where = "before any cell ran"
    if nb is not None and index is not None and index < len(nb.cells):
        cell = nb.cells[index]
        count = getattr(exc, "exec_count", None) or cell.get("execution_count")
        source = getattr(exc, "source", None) or cell.source
        label = f"In [{count}]" if count else f"cell #{index}"
        where = (
            f"in cell {label} (code cell {_source_cell_number(nb, index)} of the notebook), "
            f"which starts: {_first_line(source)!r}"
        )
    kept = f"partially executed notebook kept at {executed}" if executed.is_file() else "no notebook was saved"
    return ReportError(f"report {name!r} failed {where}: {ename}: {evalue} ({kept})")


# ------------------------------------------------------------------------- main


def _without_credentials(values: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The parameters with any password removed from PostgreSQL URLs, and that password.

    Notebook parameters are written into the executed ``.ipynb`` (its
    parameters cell and papermill's metadata), so a secret must never be one.
    """
    from ..journal.store import split_password

    found: set[str] = set()
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, str):
            value, password = split_password(value)
            if password is not None:
                found.add(password)
        clean[key] = value
    if len(found) > 1:
        raise ReportError("two different database passwords in one report's parameters: use PGPASSWORD or ~/.pgpass")
    return clean, next(iter(found), None)


@contextmanager
def _pgpassword(password: str | None) -> Iterator[None]:
    """``PGPASSWORD`` set for the notebook's kernel while it runs (libpq reads it), then restored."""
    if password is None:
        yield
        return
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = password
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before


def run_report(
    notebook: Path,
    parameters: Mapping[str, Any],
    out_dir: Path,
    name: str,
    *,
    pdf: bool = True,
    kernel_name: str = "python3",
    timeout: int = 600,
    templates: Path | None = None,
    cwd: Path | None = None,
    force: bool = False,
    extra_files: tuple[str, ...] = (),
) -> ReportResult:
    """Execute ``notebook`` with ``parameters`` and write ``<name>``.ipynb/.html/.pdf in ``out_dir``.

    ``timeout`` is per cell, in seconds. ``templates`` overrides the directory
    holding ``report/`` (default: the shipped ``workbench.templates``). The
    kernel runs in ``cwd`` (default: ``out_dir``, so a notebook never writes beside the shipped copy). Parameters
    that papermill cannot write as Python literals (dates, Decimals, paths)
    are passed as strings.

    ``out_dir`` is claimed as a workbench output folder
    (:class:`workbench.outputs.OutputFolder`): a new or empty folder, or one the
    workbench wrote before, where it replaces its own files; ``extra_files``
    are further files the notebook writes there (its summary). Any other
    existing folder or file is refused with
    :class:`~workbench.outputs.OutputRefusedError` unless ``force``. The HTML,
    the PDF and the executed notebook are each written atomically.

    Raises :class:`~workbench.errors.ReportError` when the notebook fails
    (naming the cell, the exception and the kept partial notebook), when the
    page would load a remote resource, or when the template is missing.
    """
    import papermill  # type: ignore[import-untyped]  # no stubs, no py.typed
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellControlSignal, DeadKernelError
    from papermill.exceptions import PapermillException  # type: ignore[import-untyped]

    started = time.perf_counter()
    notebook = Path(notebook)
    out_dir = Path(out_dir)
    if not notebook.is_file():
        raise ReportError(f"report notebook not found: {notebook}")
    if not name or Path(name).name != name or name.startswith("."):
        raise ReportError(f"report name must be a plain file name, got {name!r}")
    folder = OutputFolder.claim(out_dir, "report", force=force)
    executed = folder.file(f"{name}.ipynb")
    html_path = folder.file(f"{name}.html")
    pdf_target = folder.file(f"{name}.pdf") if pdf else None
    for extra in extra_files:
        folder.file(extra)
    values, password = _without_credentials({str(key): _parameter_value(value) for key, value in parameters.items()})

    engine: dict[str, Any] = {}
    if kernel_name == NATIVE_KERNEL_NAME:
        engine["kernel_manager_class"] = _CurrentPythonKernelManager
    partial = executed.with_name(f".{name}.running.ipynb")
    try:
        with _pgpassword(password):
            papermill.execute_notebook(
                str(notebook),
                str(partial),
                parameters=values,
                kernel_name=kernel_name,
                execution_timeout=timeout,
                progress_bar=False,
                cwd=str(cwd or out_dir),
                **engine,
            )
    except (PapermillException, CellControlSignal, DeadKernelError, NoSuchKernel, TimeoutError, RuntimeError) as exc:
        if partial.is_file():  # the partly executed notebook is kept under the report's name
            os.replace(partial, executed)
        raise _failure(exc, executed, name) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise

    nb = nbformat.read(partial, as_version=4)
    fields, lifted = _header(nb, values, notebook)
    nb.metadata["report"] = fields
    atomic_write_text(executed, nbformat.writes(nb))
    partial.unlink(missing_ok=True)

    html = export_html(_for_export(nb, lifted), templates=Path(templates or DEFAULT_TEMPLATES_DIR))
    atomic_write_text(html_path, html)
    remote = remote_references(html)
    if remote:
        shown = ", ".join(remote[:5]) + (" …" if len(remote) > 5 else "")
        raise ReportError(
            f"report {name!r} would load remote resources, which reports must not do: {shown} (see {html_path})"
        )

    pdf_path = render_pdf(html, pdf_target) if pdf_target is not None else None
    return ReportResult(ipynb=executed, html=html_path, pdf=pdf_path, seconds=time.perf_counter() - started)
