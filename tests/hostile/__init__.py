"""Hostile-input reproducers: ``tests/hostile/<class>/<case>.toml``, each a small file whose header says how to run
it and what must happen (read by :func:`cases`; run by tests/test_hostile.py and benchmarks/hostile_campaign.py).

Header, the file's first comment lines (a leading UTF-8 byte-order mark is skipped):

    # pkgcad: check {path}          the arguments after ``pkgcad``; {path} is this file, {tmp} a fresh folder
    # expect: 2                     the exit code (0 ok, 1 a rule failed, 2 bad input, 3 output fault)
    # stderr: more than 32 parts    optional, repeatable: text stderr must contain ({tmp} expanded)
    # file: {tmp}/x/report.md       optional, repeatable: a file that must exist afterwards
    # absent: <script>              optional, repeatable: text the (text) files named may not contain; given, they
    #                               may not hold a control character either
    # slow                          optional: the case builds geometry (also implied by an expected 0 or 1)
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parent
CONTROL = {c for c in range(32) if c not in (9, 10)} | {0x7F} | set(range(0x80, 0xA0)) | {0x202E, 0x202D, 0x2066,
                                                                                             0x2067, 0x2068}
"""Characters that must never reach the terminal raw (tab and newline excepted)."""


@dataclass(frozen=True)
class Case:
    """One reproducer: its class (folder), name, file and header."""

    cls: str
    name: str
    path: Path
    args: str
    expect: int
    stderr: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    slow: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.cls}/{self.name}"

    def argv(self, tmp: Path) -> list[str]:
        """The pkgcad arguments with {path} and {tmp} filled in."""
        return [a.replace("{path}", str(self.path)).replace("{tmp}", str(tmp)) for a in shlex.split(self.args)]


def read_case(path: Path) -> Case:
    """The :class:`Case` of one reproducer file; a file without a ``# pkgcad:`` first line raises ValueError."""
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    lines = []
    for line in raw.split(b"\n")[:12]:
        if not line.startswith(b"#"):
            break
        lines.append(line[1:].decode("utf-8", "replace").strip())
    if not lines or not lines[0].startswith("pkgcad:") or len(lines) < 2 or not lines[1].startswith("expect:"):
        raise ValueError(f"{path}: the first lines must be '# pkgcad: <args>' and '# expect: <exit code>'")
    tags: dict[str, list[str]] = {"stderr": [], "file": [], "absent": []}
    slow = False
    for line in lines[2:]:
        key, _, value = line.partition(":")
        if key in tags:
            tags[key].append(value.strip())
        elif line == "slow":
            slow = True
    expect = int(lines[1].removeprefix("expect:"))
    return Case(path.parent.name, path.stem, path, lines[0].removeprefix("pkgcad:").strip(), expect,
                tuple(tags["stderr"]), tuple(tags["file"]), tuple(tags["absent"]), slow or expect in (0, 1))


def cases(root: Path = ROOT) -> list[Case]:
    """Every reproducer under ``root``, sorted by class and name."""
    return [read_case(p) for p in sorted(root.glob("*/*.toml"))]


def control_characters(text: str) -> list[str]:
    """The characters of ``text`` in :data:`CONTROL`, as ``U+XXXX``."""
    return sorted({f"U+{ord(c):04X}" for c in text if ord(c) in CONTROL})
