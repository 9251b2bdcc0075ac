"""Writing the communications of a run to a folder: one .eml or one letter and statement each.

File names come from ids only (:func:`~workbench.letters.names.file_stem`),
and every file is written through a temporary file in the same folder
(:func:`workbench.outputs.atomic_write`), so a crash never leaves a
half-written letter behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from ..collections.model import CHANNELS, Communication
from ..outputs import atomic_write  # the one atomic writer; re-exported for callers of this module
from .email import parse_addresses
from .names import file_stem
from .text import LetterError

if TYPE_CHECKING:
    from .render import LetterRenderer

    class _Common(TypedDict):
        customer_id: str
        currency: str
        level: int


__all__ = ["WrittenFile", "atomic_write", "write_communications"]


@dataclass(frozen=True)
class WrittenFile:
    """One file written by :func:`write_communications`.

    ``channel`` is the channel actually used (``email`` or ``letter``); it is
    ``letter`` with a ``note`` when an e-mail communication had no usable
    address and a printable letter was produced instead. ``kind`` is what the
    file is: ``email`` (.eml), ``letter`` or ``statement`` (.pdf).
    """

    customer_id: str
    currency: str
    level: int
    channel: str
    kind: str
    path: Path
    note: str = ""


def write_communications(renderer: LetterRenderer, comms: Iterable[Communication], out_dir: Path) -> list[WrittenFile]:
    """Write the communications of a run under ``out_dir`` with ``renderer`` and return what was written, in order.

    - channel ``email``: ``emails/<stem>.eml`` (the statement is attached);
      without a usable e-mail address, a letter as below, with a ``note``;
    - channel ``letter``: ``letters/<stem>.pdf`` and ``statements/<stem>.pdf``;
    - channel ``phone``: nothing.

    ``<stem>`` is :func:`~workbench.letters.names.file_stem`
    (``<safe customer id>_<currency>_L<level>``): file names come from ids
    only, never from customer text. Two communications with the same stem
    raise :class:`~workbench.letters.text.LetterError`.
    """
    out = Path(out_dir)
    written: list[WrittenFile] = []
    seen: dict[str, str] = {}
    for comm in comms:
        channel = (comm.channel or "").strip().lower()
        if channel not in CHANNELS:
            raise LetterError(
                f"customer {comm.customer_id}: unknown channel {comm.channel!r} (expected one of {', '.join(CHANNELS)})"
            )
        if channel == "phone":
            continue
        stem = file_stem(comm)
        if stem in seen:
            raise LetterError(
                f"customers {seen[stem]!r} and {comm.customer_id!r}: two communications "
                f"would be written as {stem} (same customer, currency and level?)"
            )
        seen[stem] = comm.customer_id
        common: _Common = {"customer_id": comm.customer_id, "currency": comm.currency, "level": comm.level}
        note = ""
        if channel == "email":
            problem, _ = parse_addresses(comm.email)
            if not problem:
                path = out / "emails" / f"{stem}.eml"
                atomic_write(path, renderer.email_message(comm).as_bytes())
                written.append(WrittenFile(channel="email", kind="email", path=path, **common))
                continue
            note = f"{problem}: printed letter instead of e-mail"
        letter = out / "letters" / f"{stem}.pdf"
        statement = out / "statements" / f"{stem}.pdf"
        atomic_write(letter, renderer.letter_pdf(comm))
        atomic_write(statement, renderer.statement_pdf(comm))
        written.append(WrittenFile(channel="letter", kind="letter", path=letter, note=note, **common))
        written.append(WrittenFile(channel="letter", kind="statement", path=statement, note=note, **common))
    return written
