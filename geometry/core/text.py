"""Text that reaches a terminal or a report from a recipe: control characters escaped and long echoes cut.

A recipe's keys and values are echoed in messages and reports; a key holding an ANSI escape would otherwise act on
the terminal (clear the screen), a bidirectional override (U+202E) would reverse what a reader sees, and a
900 KB name would be printed whole. :func:`printable` escapes them visibly, :func:`clip` cuts an echo.
"""

from __future__ import annotations

import re

MAX_ECHO = 200
"""Characters of a recipe value or key a message echoes before it is cut (:func:`clip`)."""

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
"""C0 and C1 controls (tab and newline excepted), bidirectional marks, overrides and isolates, zero-width
characters, line and paragraph separators and the byte-order mark."""
_UNSAFE_LINES = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control, bidirectional and invisible format character written as a visible escape
    (``\\x1b``, ``\\u202e``); tabs kept, and newlines unless ``keep_newlines`` is false."""
    return (_UNSAFE if keep_newlines else _UNSAFE_LINES).sub(_escape, text)


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was: ``'aaaa...' (900000 characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def echo(text: str, limit: int = MAX_ECHO) -> str:
    """A key or value from a recipe as one line of a message: escaped (:func:`printable`, newlines too) and
    cut (:func:`clip`)."""
    return clip(printable(text, keep_newlines=False), limit)


def quoted(text: str, limit: int = MAX_ECHO) -> str:
    """A string value as a message echoes it: quoted with Python's escapes (``'fc\\x1b'``), its first ``limit``
    characters only, then its length: ``'nnnn'... (20,000 characters)``."""
    if len(text) <= limit:
        return printable(repr(text), keep_newlines=False)
    return f"{printable(repr(text[:limit]), keep_newlines=False)}... ({len(text):,} characters)"
