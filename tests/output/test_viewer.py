"""The 3D viewer page (self-contained, one toggle per body, mesh data that decodes back), the notebook view,
<design>.html in the design folder and the committed notebooks. The PNG picture and `pkgcad picture` are in
test_picture.py."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import zlib

import numpy as np
import pytest

from geometry import api
from geometry.output import viewer
from geometry.output.design import write_html
from geometry.output.mesh import stack_mesh
from tests.conftest import ROOT, design_file

EXTERNAL = re.compile(r"https?://|(?:src|href)\s*=\s*[\"']?//|url\(\s*[\"']?//|@import|<link\b|<script[^>]*\bsrc=",
                      re.IGNORECASE)


@pytest.fixture(scope="module")
def meshes(small_build):
    return stack_mesh(small_build.stack)


@pytest.fixture(scope="module")
def page(small_build, meshes) -> str:
    return viewer.html(small_build.stack, "small", meshes)


def _data(page: str) -> dict:
    m = re.search(rf'<script type="application/json" id="{viewer.DATA_ID}">(.*?)</script>', page, re.DOTALL)
    assert m, "no mesh data element"
    return json.loads(m.group(1))


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


def test_one_toggle_per_body_with_name_material_and_count(small_build, page: str) -> None:
    toggles = re.findall(r'<label[^>]*><input type="checkbox" checked data-body="([^"]+)">.*?</label>', page)
    assert toggles == list(small_build.stack.names)
    for body in small_build.stack:
        assert f"{body.name} ({body.material_name}, {body.count})</label>" in page
    assert "<h1>small</h1>" in page


def test_embedded_meshes_decode_to_the_stack(small_build, meshes, page: str) -> None:
    data = _data(page)
    assert data["name"] == "small" and data["units"] == "mm" and data["encoding"] == "zlib+base64"
    assert [b["name"] for b in data["bodies"]] == list(small_build.stack.names)
    for b in data["bodies"]:
        body, m = small_build.stack[b["name"]], meshes[b["name"]]
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
    np.testing.assert_allclose(data["bounds_mm"], small_build.stack.bounds(), atol=1e-4)


def test_title_is_escaped(small_build, meshes) -> None:
    page = viewer.html(small_build.stack, "a<b>&c", meshes)
    assert "<h1>a&lt;b&gt;&amp;c</h1>" in page and "<h1>a<b>" not in page
    assert _data(page)["name"] == "a<b>&c"


def test_notebook_view_is_an_inline_iframe_of_the_page(small_build) -> None:
    view = viewer.notebook_view(small_build, height=300)
    m = re.search(r'<iframe srcdoc="([^"]*)" style="width:100%;height:300px;', view.data)
    assert m, view.data[:200]
    inner = html_lib.unescape(m.group(1))
    assert inner.startswith("<!DOCTYPE html>") and "<h1>small</h1>" in inner
    assert [b["name"] for b in _data(inner)["bodies"]] == list(small_build.stack.names)
    assert EXTERNAL.findall(view.data) == []


def test_write_design_writes_the_viewer_beside_the_glb(small_build, tmp_path) -> None:
    results = api.check(small_build)
    folder = api.export(small_build, results, tmp_path)
    page = design_file(folder, ".html").read_text(encoding="utf-8")
    assert design_file(folder, ".glb").is_file()
    assert [b["name"] for b in _data(page)["bodies"]] == list(small_build.stack.names)
    assert EXTERNAL.findall(page) == []


def test_write_html(small_build, meshes, tmp_path) -> None:
    path = write_html(small_build.stack, "small", tmp_path / "v.html", meshes=meshes)
    assert path.read_text(encoding="utf-8") == viewer.html(small_build.stack, "small", meshes)
    assert [p.name for p in tmp_path.iterdir()] == ["v.html"]


@pytest.mark.parametrize("name", ["flip_chip", "cavity", "sweep"])
def test_notebooks_are_committed_without_outputs(name) -> None:
    import nbformat

    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
