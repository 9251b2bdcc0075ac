"""Secrets kept out of what the workbench shows: passwords in URLs and known secret values masked.

Passwords reach the workbench in three ways: inside a journal URL
(``postgresql://user:password@host/db``, from ``--journal`` or
``WORKBENCH_JOURNAL``), as ``PGPASSWORD``, and through the environment
variable an SMTP login names (``--smtp-password-env``). None of them may appear
in a message, a log line, a summary, a notebook or a report (docs/security.md).

* :func:`mask_url` shows one URL or path with its password replaced by ``***``;
* :func:`mask_secrets` masks, in any text, every URL password and every value
  remembered with :func:`remember_secret` (the SMTP password once read, a
  journal URL's password once seen) or held in ``PGPASSWORD``.

Error messages printed by the command line, the desk's status line and
delivery failures pass through :func:`mask_secrets`; places that show a
journal pass its target through :func:`mask_url`.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["MASK", "SECRET_ENV", "mask_host", "mask_secrets", "mask_url", "remember_secret", "remember_url_password"]

MASK = "***"
"""What a password is replaced with."""

SECRET_ENV = ("PGPASSWORD",)
"""Environment variables whose value is a secret wherever it shows up."""

#: Shortest value remembered as a secret: masking every "ab" in a message would garble it, not protect it.
_MIN_SECRET = 4

_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)(?P<password>[^\s@]+)@")
_remembered: set[str] = set()


def mask_url(target: str) -> str:
    """``target`` with the password of its URL (any scheme) replaced by ``***``; paths and plain URLs unchanged.

    >>> mask_url("postgresql://wb:s3cret@db.example.com:5432/ledger")
    'postgresql://wb:***@db.example.com:5432/ledger'
    >>> mask_url("/srv/journal.sqlite"), mask_url("postgresql://wb@db/ledger")
    ('/srv/journal.sqlite', 'postgresql://wb@db/ledger')
    """
    try:
        parts = urlsplit(target)
        password = parts.password
    except ValueError:  # a malformed port or netloc: fall back to the text pattern
        return _URL_PASSWORD.sub(lambda m: m["head"] + MASK + "@", target)
    if not parts.scheme or password is None:
        return target
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:{MASK}@{host}"))


def mask_host(host: str) -> str:
    """A host name as typed, with any ``user:password@`` in front of it masked (``u:***@mail.example.com``).

    >>> mask_host("mail.example.com"), mask_host("dunning:s3cret@mail.example.com")
    ('mail.example.com', 'dunning:***@mail.example.com')
    """
    userinfo, at, name = host.rpartition("@")
    if not at or ":" not in userinfo:
        return host
    return f"{userinfo.partition(':')[0]}:{MASK}@{name}"


def remember_secret(value: str | None) -> None:
    """Remember ``value`` (and its percent-decoded form) as a secret :func:`mask_secrets` masks from now on.

    Values shorter than four characters are not remembered (masking them
    everywhere would garble messages without hiding anything worth hiding).
    """
    if not value:
        return
    for form in {value, unquote(value)}:
        if len(form) >= _MIN_SECRET:
            _remembered.add(form)


def remember_url_password(target: str | None) -> None:
    """Remember the password of a URL (if it has one) as a secret; see :func:`remember_secret`."""
    if not target:
        return
    try:
        remember_secret(urlsplit(target).password)
    except ValueError:
        match = _URL_PASSWORD.search(target)
        remember_secret(match["password"] if match else None)


def mask_secrets(text: str) -> str:
    """``text`` with every URL password, every remembered secret and the value of ``PGPASSWORD`` masked.

    >>> mask_secrets("cannot open journal postgresql://wb:s3cret@db/ledger: timeout")
    'cannot open journal postgresql://wb:***@db/ledger: timeout'
    """
    for match in _URL_PASSWORD.finditer(text):
        remember_secret(match["password"])
    masked = _URL_PASSWORD.sub(lambda m: m["head"] + MASK + "@", text)
    secrets = set(_remembered)
    for name in SECRET_ENV:
        value = os.environ.get(name, "")
        if len(value) >= _MIN_SECRET:
            secrets.add(value)
    for secret in sorted(secrets, key=len, reverse=True):
        masked = masked.replace(secret, MASK)
    return masked
