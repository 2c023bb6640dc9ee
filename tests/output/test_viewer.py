"""The 3D viewer page (self-contained, one toggle per body, mesh data that decodes back), the notebook view, the
PNG picture, package.html in the design folder and `pkgcad picture`."""

from __future__ import annotations

import base64
import html as html_lib
import io
import json
import re
import zlib

import numpy as np
import pytest
from conftest import ROOT, small_recipe
from test_cli import write_recipe

from geometry import api, export, viewer
from geometry.cli import main
from geometry.params import load_design

EXTERNAL = re.compile(r"https?://|(?:src|href)\s*=\s*[\"']?//|url\(\s*[\"']?//|@import|<link\b|<script[^>]*\bsrc=",
                      re.IGNORECASE)


@pytest.fixture(scope="module")
def build():
    return api.run(load_design(small_recipe()))


@pytest.fixture(scope="module")
def meshes(build):
    return export.stack_mesh(build.stack)


@pytest.fixture(scope="module")
def page(build, meshes) -> str:
    return viewer.html(build.stack, "small", meshes)


def _data(page: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{viewer.DATA_ID}">(.*?)</script>', page, re.DOTALL)
    assert m, "no mesh data element"
    return json.loads(m.group(1))


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_page_references_no_external_host(page: str) -> None:
    assert EXTERNAL.findall(page) == []
    assert "sourceMappingURL" not in page
    assert "THREE.TrackballControls" in page and "new THREE.WebGLRenderer" in page


def test_external_reference_pattern_catches_what_it_must() -> None:
    for bad in ['<script src="https://cdn.example.org/x.js">', '<img src="//cdn.example.org/a.png">',
                "body { background: url(//cdn.example.org/a.png) }", '@import "x.css";',
                '<link rel="stylesheet" href="a.css">', "see http://example.org"]:
        assert EXTERNAL.search(bad), bad


def test_three_js_comes_from_trimesh_with_urls_neutralised() -> None:
    js = viewer.three_js()
    assert len(js) > 300_000 and "Three.js Authors" in js
    assert not re.search(r"https?://", js)
    # the XHTML namespace that three.js passes to createElementNS is still built, at run time
    assert '("http:"+"/"+"/"+"www.w3.org/1999/xhtml")' in js


def test_one_toggle_per_body_with_name_material_and_count(build, page: str) -> None:
    toggles = re.findall(r'<label[^>]*><input type="checkbox" checked data-body="([^"]+)">.*?</label>', page)
    assert toggles == list(build.stack.names)
    for body in build.stack:
        assert f"{body.name} ({body.material_name}, {body.count})</label>" in page
    assert "<h1>small</h1>" in page


def test_embedded_meshes_decode_to_the_stack(build, meshes, page: str) -> None:
    data = _data(page)
    assert data["name"] == "small" and data["units"] == "mm" and data["encoding"] == "zlib+base64"
    assert [b["name"] for b in data["bodies"]] == list(build.stack.names)
    for b in data["bodies"]:
        body, m = build.stack[b["name"]], meshes[b["name"]]
        v = np.frombuffer(zlib.decompress(base64.b64decode(b["position"])), dtype="<f4").reshape(-1, 3)
        itype = "<u2" if b["index_type"] == "uint16" else "<u4"
        f = np.frombuffer(zlib.decompress(base64.b64decode(b["index"])), dtype=itype).reshape(-1, 3)
        assert len(f) == b["triangles"] == len(m.faces) and len(v) == b["vertices"] == len(m.vertices)
        assert f.max() < len(v)
        np.testing.assert_allclose(v, m.vertices, atol=1e-5)
        lo, hi = body.bounds()[:3], body.bounds()[3:]
        assert np.all(v.min(axis=0) >= lo - 1e-4) and np.all(v.max(axis=0) <= hi + 1e-4)
        assert b["count"] == body.count and b["material"] == body.material_name
        assert b["color"] == [float(c) for c in body.material.color]
    np.testing.assert_allclose(data["bounds_mm"], build.stack.bounds(), atol=1e-4)


def test_title_is_escaped(build, meshes) -> None:
    page = viewer.html(build.stack, "a<b>&c", meshes)
    assert "<h1>a&lt;b&gt;&amp;c</h1>" in page and "<h1>a<b>" not in page
    assert _data(page)["name"] == "a<b>&c"


def test_notebook_view_is_an_inline_iframe_of_the_page(build) -> None:
    view = viewer.notebook_view(build, height=300)
    m = re.search(r'<iframe srcdoc="([^"]*)" style="width:100%;height:300px;', view.data)
    assert m, view.data[:200]
    inner = html_lib.unescape(m.group(1))
    assert inner.startswith("<!DOCTYPE html>") and "<h1>small</h1>" in inner
    assert [b["name"] for b in _data(inner)["bodies"]] == list(build.stack.names)
    assert EXTERNAL.findall(view.data) == []


def test_picture_is_a_png_of_the_requested_size_showing_the_package(build, meshes) -> None:
    import matplotlib.image as mpimg

    data = viewer.picture_png(build.stack, width=320, height=240, meshes=meshes)
    assert _png_size(data) == (320, 240)
    img = mpimg.imread(io.BytesIO(data), format="png")[..., :3]
    assert img.shape == (240, 320, 3)
    background = np.all(img > 0.98, axis=-1)
    assert background[0, 0] and background[-1, -1]
    assert 0.1 < 1 - background.mean() < 0.95
    # the green BT substrate is the largest opaque body
    painted = img[~background]
    assert np.mean((painted[:, 1] > painted[:, 0] + 0.05) & (painted[:, 1] > painted[:, 2] + 0.05)) > 0.2


def test_picture_rejects_a_tiny_size(build, meshes) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        viewer.picture_png(build.stack, width=8, height=240, meshes=meshes)


def test_write_design_writes_the_viewer_beside_the_glb(build, tmp_path) -> None:
    results = api.check(build)
    folder = api.export(build, results, tmp_path)
    page = (folder / "package.html").read_text(encoding="utf-8")
    assert (folder / "package.glb").is_file()
    assert [b["name"] for b in _data(page)["bodies"]] == list(build.stack.names)
    assert EXTERNAL.findall(page) == []


def test_write_html(build, meshes, tmp_path) -> None:
    path = export.write_html(build.stack, "small", tmp_path / "v.html", meshes=meshes)
    assert path.read_text(encoding="utf-8") == viewer.html(build.stack, "small", meshes)
    assert [p.name for p in tmp_path.iterdir()] == ["v.html"]


def test_cli_picture_writes_png_and_html(tmp_path, capsys) -> None:
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    assert main(["picture", str(recipe), "--width", "200", "--height", "150", "-o", str(tmp_path / "p.png")]) == 0
    assert _png_size((tmp_path / "p.png").read_bytes()) == (200, 150)
    assert main(["picture", str(recipe), "-o", str(tmp_path / "p.html")]) == 0
    assert "data-body=\"solder_balls\"" in (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "wrote" in capsys.readouterr().out


def test_cli_picture_bad_suffix_exits_2_and_writes_nothing(tmp_path, capsys) -> None:
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    assert main(["picture", str(recipe), "-o", str(tmp_path / "p.jpg")]) == 2
    assert "must end in .png or .html" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.toml"]


@pytest.mark.parametrize("name", ["flip_chip", "cavity", "sweep"])
def test_notebooks_are_committed_without_outputs(name) -> None:
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
