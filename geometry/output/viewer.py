"""3D views of a stack: a self-contained HTML viewer and the same view inline in Jupyter.

The viewer page embeds each prototype mesh of every body once (:func:`geometry.output.instanced.stack_meshes`, mm)
with the placements of its members (a solid built from tiles: each kind of visible tile with its tiles' placements), as typed arrays, zlib-compressed and base64-encoded (the browser inflates them
with its built-in ``DecompressionStream``), and renders each prototype as one three.js ``InstancedMesh``, so the page
grows with prototypes, not members. The three.js source (and its TrackballControls) is read at run time from the
viewer template shipped inside the installed ``trimesh`` package, never copied into this repository, and the page
loads nothing from outside itself: URLs that appear in the library's strings are neutralised (see :func:`three_js`).
Colours come from :data:`geometry.core.materials.MATERIALS`; one checkbox per body toggles it; a click names the
body and member under the pointer. This module writes no file: :func:`geometry.output.design.write_html` does.
IPython is imported only by :func:`notebook_view` (an optional import).
"""

from __future__ import annotations

import base64
import functools
import html as html_lib
import io
import json
import re
import zipfile
import zlib

import numpy as np
import trimesh

from ..core.stack import Stack
from .instanced import StackMeshes, stack_meshes

#: ``id`` of the ``<script type="application/json">`` element that holds the page's mesh data.
DATA_ID = "pkgcad-data"


#: Default triangle budget of a stack shown by :func:`notebook_view`.
NOTEBOOK_TRIANGLES = 200_000


_TEMPLATE = "templates/viewer.zip"


#: Where trimesh's template stops being library code and starts its own page logic.
_APP_START = "var camera,controls,scene,renderer,tracklight;"


_STRING_URL = re.compile(r"""(["'])(https?)://([^"'\s\\]*)\1""")


_ANY_URL = re.compile(r"https?://", re.IGNORECASE)


_SOURCE_MAP = re.compile(r"^\s*//[#@]\s*sourceMappingURL=.*$", re.MULTILINE)


_PROTOCOL_RELATIVE = re.compile(r"""(?<![:\\/])//(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b""")


@functools.cache
def three_js() -> str:
    """three.js (MIT, the Three.js Authors; r140 in trimesh 5.2) with TrackballControls and GLTFLoader, as JavaScript
    text taken from ``trimesh/resources/templates/viewer.zip`` of the installed trimesh, made inert towards the
    network:

    - a string literal that is a whole URL (the XHTML namespace name passed to ``createElementNS``) becomes the
      same string assembled at run time (``"http:"+"/"+"/"+"www.w3.org/..."``), so it still works but no URL
      appears in the page text;
    - a URL inside a longer string (a link in a deprecation warning) loses its ``http(s)://`` scheme;
    - ``sourceMappingURL`` comments are removed.

    Licence comments are kept. RuntimeError if the template no longer has the expected layout, or if a
    protocol-relative ``//host`` reference would remain.
    """
    with zipfile.ZipFile(io.BytesIO(trimesh.resources.get_bytes(_TEMPLATE))) as z:
        names = [n for n in z.namelist() if n.endswith(".html.template")]
        if not names:
            raise RuntimeError(f"trimesh {trimesh.__version__}: no *.html.template in {_TEMPLATE}")
        page = z.read(names[0]).decode("utf-8")
    start = page.find("<script>")
    end = page.find(_APP_START)
    if start < 0 or end < start:
        raise RuntimeError(f"trimesh {trimesh.__version__}: the viewer template in {_TEMPLATE} does not have the "
                           f"expected layout (a <script> whose page logic starts with {_APP_START!r})")
    js = page[start + len("<script>"):end]
    js = _STRING_URL.sub(lambda m: f'("{m[2]}:"+"/"+"/"+"{m[3]}")', js)
    js = _ANY_URL.sub("", js)
    js = _SOURCE_MAP.sub("", js)
    left = _PROTOCOL_RELATIVE.search(js)
    if left or "</script" in js.lower() or "<!--" in js:
        where = js[max(left.start() - 40, 0):left.end() + 40] if left else "a '</script' or '<!--' sequence"
        raise RuntimeError(f"trimesh {trimesh.__version__}: the three.js text cannot be inlined safely: {where!r}")
    return js


#: zlib level of the embedded arrays: level 1 is several times faster than 6 on tiled arrays at nearly the same size.
ZLIB_LEVEL = 1


def _packed(a: np.ndarray) -> str:
    """``a``'s bytes, zlib-compressed (the browser's ``DecompressionStream("deflate")`` format), in base64."""
    return base64.b64encode(zlib.compress(np.ascontiguousarray(a).tobytes(), ZLIB_LEVEL)).decode("ascii")


def delta_shuffled(a: np.ndarray) -> np.ndarray:
    """The unsigned integers ``a`` (flat) as differences of neighbours (the first from 0, modulo the type's range)
    with their bytes regrouped by significance (every lowest byte first): the triangle indices of a tiled mesh
    then run in repeating patterns, which zlib packs about 4x smaller than the indices themselves. The page undoes
    it (regroup, then a running sum in the same typed array)."""
    flat = np.ascontiguousarray(a).ravel()
    delta = np.diff(flat, prepend=flat.dtype.type(0))
    return np.ascontiguousarray(delta.view(np.uint8).reshape(-1, flat.itemsize).T).ravel()


def _data(stack: Stack, title: str, meshes: StackMeshes) -> dict:
    """The page's data: per body name, material, count, RGBA colour and the meshes it draws
    (:meth:`~geometry.output.instanced.BodyMeshes.views`: its prototypes, a tiled solid's visible tiles), each as
    little-endian float32 vertex coordinates (mm), uint16 or uint32 triangle indices (:func:`delta_shuffled`) and
    the float32 4 x 4 matrix of every instance (column-major, as three.js ``Matrix4`` stores them), each
    zlib-compressed and base64-encoded (:func:`_packed`), with the body index of its first member (``first``)
    and its instances per member (``per_member``), so a picked instance names its member; a tiled body also says
    what is drawn (``drawn_as``)."""
    bodies = []
    for body, bm in zip(stack, meshes):
        prototypes = []
        for m in bm.views():
            v = np.asarray(m.vertices, dtype="<f4")
            itype = "uint16" if len(v) <= 65536 else "uint32"
            prototypes.append({
                "vertices": len(v),
                "triangles": len(m.faces),
                "instances": len(m.placements),
                "first": m.first,
                "per_member": m.per_member,
                "position": _packed(v),
                "index": _packed(delta_shuffled(np.asarray(m.faces).astype("<u2" if itype == "uint16" else "<u4"))),
                "index_type": itype,
                "matrices": _packed(np.ascontiguousarray(np.transpose(m.placements, (0, 2, 1)), dtype="<f4")),
            })
        bodies.append({
            "name": body.name,
            "material": body.material_name,
            "description": body.material.description,
            "count": body.count,
            "color": [float(c) for c in body.material.color],
            "triangles": bm.triangles,
            "prototypes": prototypes,
            **({"drawn_as": bm.view_record()["drawn_as"]} if bm.tiled_view else {}),
        })
    return {"name": title, "units": "mm", "encoding": "zlib+base64", "index_encoding": "delta+byte-shuffle",
            "bounds_mm": [float(x) for x in meshes.bounds()], "bodies": bodies}


_STYLE = """
html, body { margin: 0; height: 100%; overflow: hidden; font: 13px system-ui, sans-serif; background: #fff; }
#view { position: absolute; inset: 0; }
#panel { position: absolute; top: 8px; left: 8px; max-height: calc(100% - 16px); overflow: auto;
         background: rgba(255, 255, 255, 0.88); border: 1px solid #ccc; border-radius: 4px; padding: 6px 10px; }
#panel h1 { font-size: 14px; margin: 0 0 4px 0; }
#panel p { margin: 0 0 6px 0; color: #555; }
#panel label { display: block; white-space: nowrap; }
#pick { margin: 6px 0 0 0; color: #333; }
.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px; border: 1px solid #666; }
"""


_DECODE = """
async function bytes(s) {
  const bin = atob(s), packed = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) packed[i] = bin.charCodeAt(i);
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
  return await new Response(stream).arrayBuffer();
}
function indices(raw, type) {
  const size = type === "uint16" ? 2 : 4, src = new Uint8Array(raw), n = src.length / size;
  const out = new Uint8Array(src.length);
  for (let b = 0; b < size; b++) for (let i = 0; i < n; i++) out[i * size + b] = src[b * n + i];
  const d = size === 2 ? new Uint16Array(out.buffer) : new Uint32Array(out.buffer);
  for (let i = 1; i < d.length; i++) d[i] = d[i] + d[i - 1];
  return d;
}
async function instanced(p, material) {
  const g = new THREE.BufferGeometry();
  g.setAttribute("position", new THREE.BufferAttribute(new Float32Array(await bytes(p.position)), 3));
  g.setIndex(new THREE.BufferAttribute(indices(await bytes(p.index), p.index_type), 1));
  const mesh = new THREE.InstancedMesh(g, material, p.instances);
  mesh.instanceMatrix.array.set(new Float32Array(await bytes(p.matrices)));
  mesh.instanceMatrix.needsUpdate = true;
  mesh.frustumCulled = false;
  return mesh;
}
"""
"""The page's decoders of :func:`_packed` arrays (base64, inflate) and :func:`delta_shuffled` indices, and the
three.js ``InstancedMesh`` of one prototype of the page data."""


_APP = _DECODE + """
(async function () {
  const data = JSON.parse(document.getElementById("DATA_ID").textContent);
  const view = document.getElementById("view");
  const renderer = new THREE.WebGLRenderer({antialias: true});
  renderer.setPixelRatio(window.devicePixelRatio);
  view.appendChild(renderer.domElement);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xffffff);
  scene.add(new THREE.AmbientLight(0xffffff, 0.45));
  const camera = new THREE.PerspectiveCamera(35, 1, 0.01, 1e5);
  camera.up.set(0, 0, 1);
  const light = new THREE.DirectionalLight(0xffffff, 0.8);
  camera.add(light);
  scene.add(camera);
  const boxes = {};
  for (const box of document.querySelectorAll("#bodies input[data-body]")) boxes[box.dataset.body] = box;
  const drawn = [];
  for (const b of data.bodies) {
    const c = b.color, clear = c[3] < 1;
    const mat = new THREE.MeshStandardMaterial({
      color: new THREE.Color(c[0], c[1], c[2]), opacity: clear ? Math.min(c[3], 0.5) : 1, transparent: clear,
      depthWrite: !clear, flatShading: true, metalness: 0.1, roughness: 0.6, side: THREE.DoubleSide});
    const group = new THREE.Group();
    group.name = b.name;
    for (const p of b.prototypes) {
      const mesh = await instanced(p, mat);
      mesh.userData = {body: b, first: p.first, per: p.per_member};
      group.add(mesh);
      drawn.push(mesh);
    }
    scene.add(group);
    const box = boxes[b.name];
    if (box) box.addEventListener("change", () => { group.visible = box.checked; render(); });
  }
  const pick = document.getElementById("pick"), ray = new THREE.Raycaster(), pointer = new THREE.Vector2();
  let down = null;
  renderer.domElement.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
  renderer.domElement.addEventListener("pointerup", (e) => {
    if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
    const r = renderer.domElement.getBoundingClientRect();
    pointer.set((e.clientX - r.left) / r.width * 2 - 1, -(e.clientY - r.top) / r.height * 2 + 1);
    ray.setFromCamera(pointer, camera);
    const hit = ray.intersectObjects(drawn.filter((m) => m.parent.visible), false)[0];
    if (!hit) { pick.textContent = ""; return; }
    const u = hit.object.userData, b = u.body, k = u.first + Math.floor(hit.instanceId / u.per) + 1;
    pick.textContent = b.name + " (" + b.material + "): member " + k + " of " + b.count;
  });
  const bb = data.bounds_mm, centre = new THREE.Vector3((bb[0] + bb[3]) / 2, (bb[1] + bb[4]) / 2, (bb[2] + bb[5]) / 2);
  const radius = Math.max(0.5 * Math.hypot(bb[3] - bb[0], bb[4] - bb[1], bb[5] - bb[2]), 1e-3);
  const dist = radius / Math.tan(camera.fov * Math.PI / 360) * 1.1;
  camera.position.copy(centre).add(new THREE.Vector3(-0.55, -0.75, 0.45).normalize().multiplyScalar(dist));
  camera.near = dist / 1000; camera.far = dist * 100;
  const controls = new THREE.TrackballControls(camera, renderer.domElement);
  controls.rotateSpeed = 2.0; controls.zoomSpeed = 1.2; controls.panSpeed = 0.8; controls.staticMoving = true;
  controls.target.copy(centre);
  controls.addEventListener("change", render);
  function render() { renderer.render(scene, camera); }
  function resize() {
    const w = view.clientWidth || window.innerWidth, h = view.clientHeight || window.innerHeight;
    renderer.setSize(w, h); camera.aspect = w / h; camera.updateProjectionMatrix(); controls.handleResize(); render();
  }
  window.addEventListener("resize", resize);
  resize();
  (function animate() { requestAnimationFrame(animate); controls.update(); })();
})().catch(function (e) {
  const p = document.createElement("p");
  p.textContent = "3D view unavailable in this browser: " + e;
  document.getElementById("panel").appendChild(p);
});
"""


def _css_rgb(colour) -> str:
    r, g, b = (round(255 * float(c)) for c in colour[:3])
    return f"rgb({r},{g},{b})"


def html(stack: Stack, title: str, meshes: StackMeshes | None = None) -> str:
    """One self-contained HTML page showing ``stack`` in 3D (mm): every body in its material colour, translucent
    materials drawn see-through, one checkbox per body (name, material, member count) that shows or hides it,
    trackball controls (drag: rotate, wheel: zoom, right drag: pan), a click naming the body and member under
    the pointer, and a note with ``title`` (the design name). The toggles are static HTML
    (``<input type="checkbox" data-body=NAME>``); the script attaches them.

    ``meshes`` reuses a :func:`geometry.output.instanced.stack_meshes` result (each prototype drawn as one
    instanced mesh). The page loads nothing from outside itself: the mesh data is inline JSON (element ``id``
    :data:`DATA_ID`) and the script is :func:`three_js`.
    """
    meshes = stack_meshes(stack) if meshes is None else meshes
    data = json.dumps(_data(stack, title, meshes), separators=(",", ":")).replace("<", "\\u003c")
    esc = html_lib.escape
    toggles = [
        f'<label title="{esc(b.material.description)}, {meshes[b.name].triangles} triangles">'
        f'<input type="checkbox" checked data-body="{esc(b.name)}">'
        f'<span class="swatch" style="background:{_css_rgb(b.material.color)}"></span>'
        f"{esc(b.name)} ({esc(b.material_name)}, {b.count})</label>"
        for b in stack
    ]
    name = esc(title)
    members = sum(b.count for b in stack)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{name}: pkgcad 3D view</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        '<div id="view"></div>',
        '<div id="panel">',
        f"<h1>{name}</h1>",
        (f"<p>{len(stack)} bodies, {members} members; lengths in mm. Drag to rotate, wheel to zoom, right-drag "
         "to pan.</p>"),
        '<div id="bodies">', *toggles, "</div>",
        '<p id="pick"></p>',
        "</div>",
        f'<script type="application/json" id="{DATA_ID}">{data}</script>',
        ("<!-- three.js and TrackballControls (MIT, the Three.js Authors), read from the installed trimesh "
         "package's viewer template; URLs in its strings neutralised so the page loads nothing from outside. -->"),
        f"<script>{three_js()}</script>",
        f"<script>{_APP.replace('DATA_ID', DATA_ID)}</script>",
        "</body>",
        "</html>",
        "",
    ])


def notebook_view(stack_or_build, title: str | None = None, height: int = 520,
                  meshes: StackMeshes | None = None, max_triangles: int = NOTEBOOK_TRIANGLES):
    """The :func:`html` page of a Stack, or of a Build's finished stack, as an ``IPython.display.HTML`` holding an
    ``<iframe srcdoc=...>`` of ``height`` pixels, so it works inline in Jupyter with no network. ``title``
    defaults to the build's design name; without ``meshes`` the stack is meshed within ``max_triangles``
    (:func:`geometry.output.instanced.stack_meshes`), which keeps a notebook with one view per step light."""
    from IPython.display import HTML

    stack = getattr(stack_or_build, "stack", stack_or_build)
    if title is None:
        design = getattr(stack_or_build, "design", None)
        title = getattr(design, "name", "stack")
    page = html(stack, title, stack_meshes(stack, max_triangles=max_triangles) if meshes is None else meshes)
    return HTML(f'<div class="pkgcad-view"><iframe srcdoc="{html_lib.escape(page, quote=True)}" '
                f'style="width:100%;height:{int(height)}px;border:1px solid #ddd" '
                f'title="{html_lib.escape(title)}: 3D view"></iframe></div>')
