"""The atomic file writer (geometry.output.files), through the manifest writer that uses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from geometry.output.files import atomic
from geometry.output.manifest import write_manifest


def test_single_file_writers_are_atomic(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    write_manifest({"b": 1, "a": np.float64(2.5), "c": np.arange(2)}, path)
    assert path.read_text() == '{\n  "a": 2.5,\n  "b": 1,\n  "c": [\n    0,\n    1\n  ]\n}\n'
    with pytest.raises(TypeError):
        write_manifest({"x": object()}, path)
    assert json.loads(path.read_text())["b"] == 1

    def partial(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("interrupted")

    with pytest.raises(OSError, match="interrupted"):
        atomic(path, partial)
    assert json.loads(path.read_text())["b"] == 1
    assert sorted(os.listdir(tmp_path)) == ["manifest.json"]
