"""The 3D viewer page (self-contained, one toggle per body, mesh data that decodes back), the notebook view,
<design>.html in the design folder and the committed notebooks. The PNG picture and `pkgcad picture` are in
test_picture.py."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import shutil
import subprocess
import zlib

import numpy as np
import pytest

from geometry import api
from geometry.output import viewer
from geometry.output.design import write_html
from geometry.output.instanced import stack_meshes
from geometry.output.mesh import concat, signed_volume, stack_mesh, tile
from tests.conftest import ROOT, design_file

EXTERNAL = re.compile(r"https?://|(?:src|href)\s*=\s*[\"']?//|url\(\s*[\"']?//|@import|<link\b|<script[^>]*\bsrc=",
                      re.IGNORECASE)


@pytest.fixture(scope="module")
def meshes(small_build):
    return stack_meshes(small_build.stack)


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


def test_page_names_the_picked_member(page: str) -> None:
    assert '<p id="pick"></p>' in page and "new THREE.InstancedMesh(" in page and "hit.instanceId" in page


def test_one_toggle_per_body_with_name_material_and_count(small_build, page: str) -> None:
    toggles = re.findall(r'<label[^>]*><input type="checkbox" checked data-body="([^"]+)">.*?</label>', page)
    assert toggles == list(small_build.stack.names)
    for body in small_build.stack:
        assert f"{body.name} ({body.material_name}, {body.count})</label>" in page
    assert "<h1>small</h1>" in page


def _unpacked(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=dtype)


def _indices(text: str, itype: str) -> np.ndarray:
    """The inverse of :func:`viewer.delta_shuffled`: bytes regrouped, then a running sum in the index type."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(text)), np.uint8)
    size = 2 if itype == "uint16" else 4
    delta = np.ascontiguousarray(raw.reshape(size, -1).T).view("<u2" if size == 2 else "<u4").ravel()
    return np.cumsum(delta, dtype=delta.dtype)


def _decoded(data: dict) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Per body of the page data: every instance's (vertices mm, faces) tiled from its meshes and instance
    matrices, and the number of members the instances name (``first`` + instance // ``per_member``)."""
    out = {}
    for b in data["bodies"]:
        pieces, members = [], set()
        for p in b["prototypes"]:
            v = _unpacked(p["position"], "<f4").reshape(-1, 3).astype(float)
            f = _indices(p["index"], p["index_type"]).reshape(-1, 3).astype(np.int64)
            m = _unpacked(p["matrices"], "<f4").reshape(-1, 4, 4).transpose(0, 2, 1).astype(float)
            assert len(v) == p["vertices"] and len(f) == p["triangles"] and len(m) == p["instances"]
            assert f.max() < len(v) and len(m) % p["per_member"] == 0
            members |= {p["first"] + k // p["per_member"] for k in range(len(m))}
            pieces.append(tile(v, f, m))
        assert members == set(range(len(members)))
        out[b["name"]] = (*concat(pieces), len(members))
    return out


def test_embedded_meshes_decode_to_the_stack(small_build, meshes, page: str) -> None:
    """Prototypes and instance matrices decode to the tiled meshes of stack_mesh: same triangles, vertices within
    float32, every member named by its instances, inside each body's bounds; the tiled encapsulant as its visible
    tiles, enclosing its volume with fewer stored triangles."""
    data = _data(page)
    assert data["name"] == "small" and data["units"] == "mm" and data["encoding"] == "zlib+base64"
    assert [b["name"] for b in data["bodies"]] == list(small_build.stack.names)
    tiled = stack_mesh(small_build.stack)
    for b, (name, (v, f, members)) in zip(data["bodies"], _decoded(data).items()):
        body, m = small_build.stack[name], tiled[name]
        assert members == body.count == b["count"] and b["triangles"] == len(m.faces)
        if meshes[name].tiled_view:
            assert b["drawn_as"] == meshes.record()["viewer"][name]["drawn_as"]
            assert sum(p["triangles"] for p in b["prototypes"]) < len(m.faces) / 5
            assert signed_volume(v, f) == pytest.approx(m.volume, rel=1e-6)
        else:
            assert len(b["prototypes"]) == len(body.parts) and "drawn_as" not in b
            np.testing.assert_array_equal(f, m.faces)
            np.testing.assert_allclose(v, m.vertices, atol=1e-5)
        lo, hi = body.bounds()[:3], body.bounds()[3:]
        assert np.all(v.min(axis=0) >= lo - 1e-4) and np.all(v.max(axis=0) <= hi + 1e-4)
        assert b["material"] == body.material_name and b["color"] == [float(c) for c in body.material.color]
    np.testing.assert_allclose(data["bounds_mm"], small_build.stack.bounds(), atol=1e-4)


def test_index_encoding_round_trips_at_type_limits() -> None:
    for dtype, top in (("<u2", 65535), ("<u4", 2**32 - 1)):
        a = np.array([[top, 0, 5], [top - 1, top, 0]], dtype=dtype)
        assert np.array_equal(_indices(viewer._packed(viewer.delta_shuffled(a)),
                                       "uint16" if dtype == "<u2" else "uint32"), a.ravel())


def test_page_decoders_run_in_node(small_build, meshes, page: str, tmp_path) -> None:
    """The page's own JavaScript decoders (:data:`viewer._DECODE`), run by node, give the arrays the Python
    decoder gives; skipped when node is missing."""
    node = shutil.which("node")
    if node is None:
        print("skipped: node not found")
        pytest.skip("node not found")
    data = _data(page)
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    script = viewer._DECODE + """
(async () => {
  const data = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), out = [];
  for (const b of data.bodies) for (const p of b.prototypes) {
    const f = indices(await bytes(p.index), p.index_type), v = new Float32Array(await bytes(p.position));
    const m = new Float32Array(await bytes(p.matrices));
    out.push([Array.from(f), Array.from(v), Array.from(m)]);
  }
  console.log(JSON.stringify(out));
})();
"""
    done = subprocess.run([node, "-e", script, str(tmp_path / "data.json")], capture_output=True, text=True,
                          check=True)
    got = json.loads(done.stdout)
    want = [p for b in data["bodies"] for p in b["prototypes"]]
    assert len(got) == len(want) == sum(len(b.views()) for b in meshes)
    for (f, v, m), p in zip(got, want):
        assert f == _indices(p["index"], p["index_type"]).tolist()
        assert np.array_equal(np.array(v, dtype="<f4"), _unpacked(p["position"], "<f4"))
        assert np.array_equal(np.array(m, dtype="<f4"), _unpacked(p["matrices"], "<f4"))


def test_page_instanced_meshes_in_three_js(small_build, meshes, page: str, tmp_path) -> None:
    """The page's three.js (from trimesh) and its ``instanced`` builder, run by node: one InstancedMesh per
    prototype with one instance per member, the instances' world bounds those of the page data, and a ray down
    through the package's centre picks a member (an ``instanceId``) as a click does; skipped without node."""
    node = shutil.which("node")
    if node is None:
        print("skipped: node not found")
        pytest.skip("node not found")
    (tmp_path / "three.js").write_text(viewer.three_js(), encoding="utf-8")
    (tmp_path / "data.json").write_text(json.dumps(_data(page)), encoding="utf-8")
    script = """
globalThis.window = globalThis; globalThis.self = globalThis;
const fs = require("fs");
require("vm").runInThisContext(fs.readFileSync(process.argv[2], "utf8"));
""" + viewer._DECODE + """
(async () => {
  const data = JSON.parse(fs.readFileSync(process.argv[3], "utf8")), out = {counts: {}, meshes: []};
  const box = new THREE.Box3(), m = new THREE.Matrix4(), one = new THREE.Box3(), scene = new THREE.Scene();
  for (const b of data.bodies) {
    out.counts[b.name] = 0;
    for (const p of b.prototypes) {
      const mesh = await instanced(p, new THREE.MeshBasicMaterial({side: THREE.DoubleSide}));
      mesh.geometry.computeBoundingBox();
      for (let i = 0; i < mesh.count; i++) {
        mesh.getMatrixAt(i, m);
        box.union(one.copy(mesh.geometry.boundingBox).applyMatrix4(m));
      }
      out.counts[b.name] += mesh.count;
      out.meshes.push(mesh.isInstancedMesh);
      mesh.name = b.name;
      scene.add(mesh);
    }
  }
  scene.updateMatrixWorld(true);
  const bb = data.bounds_mm, ray = new THREE.Raycaster(
    new THREE.Vector3((bb[0] + bb[3]) / 2, (bb[1] + bb[4]) / 2, bb[5] + 1), new THREE.Vector3(0, 0, -1));
  const hit = ray.intersectObjects(scene.children, false)[0];
  out.bounds = box.min.toArray().concat(box.max.toArray());
  out.hit = hit ? [hit.object.name, hit.instanceId] : null;
  console.log(JSON.stringify(out));
})();
"""
    (tmp_path / "run.js").write_text(script, encoding="utf-8")
    done = subprocess.run([node, str(tmp_path / "run.js"), str(tmp_path / "three.js"), str(tmp_path / "data.json")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["counts"] == {b.name: sum(len(v.placements) for v in b.views()) for b in meshes}
    assert out["meshes"] == [True] * sum(len(b.views()) for b in meshes)
    np.testing.assert_allclose(out["bounds"], _data(page)["bounds_mm"], atol=1e-5)
    top = max(small_build.stack, key=lambda b: b.bounds()[5])
    assert out["hit"] is not None and out["hit"][0] == top.name and 0 <= out["hit"][1] < top.count


def test_page_grows_with_prototypes_not_members(small_build, meshes) -> None:
    """Doubling every body's members (the same prototypes placed twice) adds only their placement matrices:
    64 bytes a member before compression."""
    from geometry.output.instanced import BodyMeshes, StackMeshes

    doubled = StackMeshes(tuple(BodyMeshes(b.name, b.material, b.meshes, tuple(np.concatenate([p, p]) for p in
                                                                             b.placements)) for b in meshes), None)
    one, two = _data(viewer.html(small_build.stack, "s", meshes)), _data(viewer.html(small_build.stack, "s", doubled))
    for a, b in zip(one["bodies"], two["bodies"]):
        for p, q in zip(a["prototypes"], b["prototypes"]):
            assert q["instances"] == 2 * p["instances"] and q["position"] == p["position"] and q["index"] == p["index"]
            assert len(zlib.decompress(base64.b64decode(q["matrices"]))) == 64 * q["instances"]


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
