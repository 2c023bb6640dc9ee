"""Recipe text made safe for terminals and reports (geometry/core/text.py) and the bounded TOML reader's pre-scan
(geometry/core/toml.py)."""

from __future__ import annotations

import pytest

from geometry.core.params import ParameterError, as_written, fmt
from geometry.core.text import clip, echo, printable, quoted
from geometry.core.toml import MAX_KEY_PARTS, loads


def test_controls_and_bidi_are_escaped_visibly():
    assert printable("a\x1b[2Jb\u202ec\x00d\te\nf") == "a\\x1b[2Jb\\u202ec\\x00d\te\nf"
    assert echo("a\nb") == "a\\x0ab"


def test_long_echo_is_cut_with_its_length():
    assert clip("n" * 900_000, 10) == "nnnnnnnnnn... (900,000 characters)"
    assert quoted("n" * 20_000, 3) == "'nnn'... (20,000 characters)"
    assert len(fmt("x" * 900_000)) < 300


def test_value_as_written():
    assert as_written(20.0) == "20.0" and as_written(True) == "true" and as_written(0.1) == "0.1"
    assert fmt(20.0) == "20"  # computed values stay compact


@pytest.mark.parametrize("text", [
    'x = 1.5\ny = [1.5, 2.5, {a = 0.5}]\n"a.b.c.d" = "e.f.g.h"\ns = """\n' + "a." * 100 + '\n"""\n',
    "[" + ".".join(["t"] * MAX_KEY_PARTS) + "]\nv = 1979-05-27T07:32:00.999\n",
])
def test_prescan_passes_dots_in_values_strings_and_bounded_keys(text):
    loads(text, "t.toml")


@pytest.mark.parametrize("text, needle", [
    ("[" + ".".join(["t"] * (MAX_KEY_PARTS + 1)) + "]\n", "more than 32 parts"),
    ("a = " + "{b = " * 40 + "1" + "}" * 40 + "\n", "nested more than 32"),
    ("\ufeffa = 1\n", "byte-order mark"),
    ("a = 1" + "0" * 5000 + "\n", "4300 digits"),
])
def test_prescan_and_parse_refuse_in_one_line(text, needle):
    with pytest.raises(ParameterError, match=needle) as e:
        loads(text, "t.toml")
    assert "\n" not in str(e.value)
