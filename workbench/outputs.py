"""Where the workbench writes: atomically, and never over what it did not write.

The one owner of two promises every command keeps (issue 10):

- **Atomic.** A file is written to a temporary file in its own folder and
  then renamed over the target (:func:`os.replace`), so a crash, a full disk
  or an exception half-way leaves the previous file intact and never a
  half-written one (:func:`atomic_write`, :func:`atomic_write_text`,
  :func:`atomic_path` for libraries that want a file name).
- **Nothing overwritten that is not ours.** A single-file output (``--out
  FILE``) refuses an existing file unless forced (:func:`new_file`). An output
  folder is claimed with :meth:`OutputFolder.claim`: a folder the workbench
  creates carries a marker file, :data:`MARKER`, naming the command and
  listing the files and sub-folders the workbench wrote there. Later, the
  workbench may replace those, and add new files; it refuses (with
  :class:`OutputRefusedError`, naming the path and ``--force``) to write into
  an existing, non-empty folder without the marker, or over a file the
  marker does not list. A command that owns its folder for one key (the
  dunning run of one date) refuses a folder holding another key.

An existing *empty* folder is claimed like a new one: writing into it can
overwrite nothing. With ``force`` the checks are skipped, and the marker then
records what was written, so the next run needs no ``force``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import WorkbenchError

__all__ = [
    "MARKER",
    "OutputFolder",
    "OutputRefusedError",
    "atomic_file",
    "atomic_path",
    "atomic_write",
    "atomic_write_text",
    "new_file",
]

MARKER = ".workbench-output"
"""The file that marks a folder as written by the workbench (JSON: command, key, files, folders)."""


class OutputRefusedError(WorkbenchError):
    """Writing would replace a file or fill a folder the workbench did not create (use ``--force``)."""


def atomic_write(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder; return the path.

    The parent folder is created when missing. Either the whole new content
    is at ``path`` afterwards, or (on any error) the previous file is untouched.
    """
    target = Path(path)
    with atomic_file(target, "wb") as handle:
        handle.write(data)
    return target


def atomic_write_text(path: Path | str, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`); return the path."""
    return atomic_write(path, text.encode(encoding))


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary file name beside ``path`` to write to; renamed over ``path`` when the block ends without error.

    For libraries that write to a file name themselves (xlsxwriter, papermill).
    On an error the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_file(path: Path | str, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """An open temporary file beside ``path`` (``mode`` ``"w"`` or ``"wb"``, ``options`` as for :func:`open`).

    It replaces ``path`` when the block ends without error; otherwise it is removed.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_file writes whole files: mode must be 'w' or 'wb' (got {mode!r})")
    with atomic_path(path) as tmp:
        with open(tmp, mode, **options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())


def new_file(path: Path | str, *, force: bool = False) -> Path:
    """``path`` for a single-file output: refused when it exists (unless ``force``) or is a folder."""
    target = Path(path)
    if target.is_dir():
        raise OutputRefusedError(f"{target} is a folder: give a file name to write")
    if target.exists() and not force:
        raise OutputRefusedError(
            f"{target} already exists and was not written by this command: "
            "choose another file name, or use --force to replace it"
        )
    return target


@dataclass
class OutputFolder:
    """A folder the workbench writes into, with the record of what it wrote there (see the module doc).

    Build it with :meth:`claim`; ask for each target with :meth:`file` (a file
    directly in the folder) or :meth:`subfolder` (a folder wholly the
    workbench's, such as a run's ``letters/``).
    """

    path: Path
    command: str
    key: str | None = None
    force: bool = False
    files: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)

    @classmethod
    def claim(cls, path: Path | str, command: str, *, key: str | None = None, force: bool = False) -> OutputFolder:
        """Create or re-open the output folder ``path`` for ``command``; refuse a folder that is not ours.

        ``key`` (e.g. the date of a dunning run) binds the folder to one run of
        ``command``: a folder recorded with another key for the same command
        is refused. ``force`` skips every check (the marker is then rewritten
        to include what this command writes).
        """
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise OutputRefusedError(f"{folder} is a file, not a folder: choose a folder for --out")
        marker = folder / MARKER
        record: dict[str, Any] = {}
        if marker.is_file():
            try:
                record = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                record = {}
            if not isinstance(record, dict):
                record = {}
        elif folder.is_dir() and any(folder.iterdir()) and not force:
            raise OutputRefusedError(
                f"{folder} already holds files the workbench did not write (no {MARKER} file): "
                f"choose a new or empty folder for `{command}`, or use --force to write into it"
            )
        keys = record.get("keys") if isinstance(record.get("keys"), dict) else {}
        recorded = keys.get(command) if keys else None
        if key is not None and recorded is not None and recorded != key and not force:
            raise OutputRefusedError(
                f"{folder} holds the `{command}` of {recorded}; the one of {key} needs its own folder "
                "(choose another --out, or use --force to write into this one)"
            )
        self = cls(
            folder,
            command,
            key,
            force,
            files={str(f) for f in record.get("files", [])},
            folders={str(f) for f in record.get("folders", [])},
        )
        self._keys = {str(k): str(v) for k, v in (keys or {}).items()}
        if key is not None:
            self._keys[command] = key
        folder.mkdir(parents=True, exist_ok=True)
        self._save()
        return self

    _keys: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def file(self, name: str) -> Path:
        """The path of the file ``name`` in the folder, recorded as the workbench's.

        Refused when a file of that name exists that the workbench did not
        write (unless the folder was claimed with ``force``).
        """
        target = self._child(name)
        if name not in self.files:
            if target.exists() and not self.force:
                raise OutputRefusedError(
                    f"{target} was not written by the workbench: `{self.command}` will not replace it "
                    "(move it away, choose another --out, or use --force)"
                )
            self.files.add(name)
            self._save()
        return target

    def subfolder(self, name: str) -> Path:
        """The sub-folder ``name``, recorded as wholly the workbench's (its writers create it when they write).

        Refused when it exists with files in it and was not created by the
        workbench (unless forced); files inside a recorded sub-folder may be replaced.
        """
        target = self._child(name)
        if name not in self.folders:
            if target.exists() and (not target.is_dir() or any(target.iterdir())) and not self.force:
                raise OutputRefusedError(
                    f"{target} was not created by the workbench: `{self.command}` will not write into it "
                    "(move it away, choose another --out, or use --force)"
                )
            self.folders.add(name)
            self._save()
        return target

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write ``data`` atomically to the file ``name`` of the folder (checked as :meth:`file`)."""
        return atomic_write(self.file(name), data)

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8) atomically to the file ``name`` of the folder (checked as :meth:`file`)."""
        return atomic_write_text(self.file(name), text)

    def _child(self, name: str) -> Path:
        if not name or Path(name).name != name or name in (".", "..", MARKER):
            raise OutputRefusedError(f"{name!r} is not a plain file name inside {self.path}")
        return self.path / name

    def _save(self) -> None:
        record = {
            "about": "This folder was written by the credit & collections workbench; "
            "it may replace the files listed here when the command is run again.",
            "command": self.command,
            "keys": self._keys,
            "files": sorted(self.files),
            "folders": sorted(self.folders),
        }
        atomic_write_text(self.path / MARKER, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
