"""The PNG picture (geometry.output.picture) and `pkgcad picture`. The small flip-chip design comes from the
``small`` fixture of tests/conftest.py."""

from __future__ import annotations

import io

import numpy as np
import pytest

from geometry.cli import main
from geometry.output.mesh import stack_mesh
from geometry.output.picture import picture_png
from tests.conftest import small_recipe, write_recipe


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_picture_is_a_png_of_the_requested_size_showing_the_package(small_build) -> None:
    import matplotlib.image as mpimg

    build = small_build
    data = picture_png(build.stack, width=320, height=240, meshes=stack_mesh(build.stack))
    assert _png_size(data) == (320, 240)
    img = mpimg.imread(io.BytesIO(data), format="png")[..., :3]
    assert img.shape == (240, 320, 3)
    background = np.all(img > 0.98, axis=-1)
    assert background[0, 0] and background[-1, -1]
    assert 0.1 < 1 - background.mean() < 0.95
    # the green BT substrate is the largest opaque body
    painted = img[~background]
    assert np.mean((painted[:, 1] > painted[:, 0] + 0.05) & (painted[:, 1] > painted[:, 2] + 0.05)) > 0.2


def test_picture_rejects_a_tiny_size(small_build) -> None:
    build = small_build
    with pytest.raises(ValueError, match="at least 16"):
        picture_png(build.stack, width=8, height=240, meshes=stack_mesh(build.stack))


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


def test_cli_picture_whole_and_cut_at_a_named_plane(tmp_path) -> None:
    """``--view whole`` draws the package uncut; a cut view is cut open at ``--plane``: three different pictures
    of the requested size."""
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    out = {}
    for name, extra in (("whole", ["--view", "whole"]), ("centre", []), ("row", ["--plane", "row"])):
        path = tmp_path / f"{name}.png"
        assert main(["picture", str(recipe), "-o", str(path), "--width", "160", "--height", "120", *extra]) == 0
        out[name] = path.read_bytes()
        assert out[name][16:24] == (160).to_bytes(4, "big") + (120).to_bytes(4, "big")
    assert len(set(out.values())) == 3


def test_cli_bottom_view_is_the_ball_map(tmp_path) -> None:
    recipe = write_recipe(tmp_path / "small.toml", small_recipe())
    svg = tmp_path / "balls.svg"
    assert main(["picture", str(recipe), "--view", "bottom", "-o", str(svg)]) == 0
    text = svg.read_text()
    assert text.count('id="ball:') == 25 and 'id="ball:A1"' in text and 'id="ball:E5"' in text
    assert main(["picture", str(recipe), "--view", "bottom", "-o", str(tmp_path / "b.html")]) == 2


@pytest.fixture(scope="module")
def small_cavity_build():
    from geometry import api
    from geometry.flows import load_design
    from tests.conftest import small_cavity

    return api.run(load_design(small_cavity()))


def _image(data: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(data), format="png")[..., :3]


def _painted_box(img: np.ndarray) -> tuple[int, int, int, int]:
    """(row0, col0, row1, col1) of the pixels that are not the white background."""
    rows, cols = np.nonzero(~np.all(img > 0.98, axis=-1))
    return int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max())


@pytest.mark.parametrize("flow", ["flip-chip", "cavity"])
@pytest.mark.parametrize("cut", [True, False])
def test_instanced_picture_shows_what_the_tiled_meshes_show(small_build, small_cavity_build, flow, cut) -> None:
    """The picture drawn from prototype meshes placed with numpy (only the members the cut plane crosses clipped,
    once per rotation and offset) paints the same box as the tiled meshes clipped body by body, with the same
    colours: under 0.5 % of the pixels differ by more than 5 % in any channel."""
    from geometry.output.instanced import stack_meshes

    build = small_build if flow == "flip-chip" else small_cavity_build
    stack = build.stack
    tiled = _image(picture_png(stack, 320, 240, meshes=stack_mesh(stack), cut=cut))
    instanced = _image(picture_png(stack, 320, 240, prototypes=stack_meshes(stack), cut=cut))
    assert _painted_box(instanced) == _painted_box(tiled)
    assert 0.1 < 1 - np.all(instanced > 0.98, axis=-1).mean() < 0.95
    assert np.mean(np.abs(instanced - tiled).max(axis=-1) > 0.05) < 0.005


def test_an_opaque_box_hides_only_the_triangles_wholly_behind_it() -> None:
    """A triangle is culled when the segments from its three corners to the eye all pass through the inside of
    an opaque box (shrunk by 1 % of its thinnest side); a corner whose segment misses the box, or a triangle
    between the box and the eye or in the margin, is kept. Only a mesh that fills its bounds is a box."""
    from geometry.output.picture import _box, _hidden

    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]], float)
    f = np.array([[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4], [2, 6, 3], [3, 6, 7],
                  [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]])
    box = _box(v, f)
    assert np.allclose(box, [0, 0, 0, 1, 1, 1])
    tetra = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    assert _box(v[[0, 1, 2, 4]], tetra) is None  # its vertices on its bounds, but it does not fill them
    pts = np.array([[0.2, 0.2, -1], [0.8, 0.2, -1], [0.5, 0.8, -1],  # below the box: hidden
                    [0.2, 0.2, -1], [0.8, 0.2, -1], [1.5, 0.8, -1],  # one corner's segment misses the box
                    [0.2, 0.2, 0.0], [0.8, 0.2, 0.0], [0.5, 0.8, 0.0],  # on its bottom face: hidden
                    [0.2, 0.2, 2.0], [0.8, 0.2, 2.0], [0.5, 0.8, 2.0]])  # between the box and the eye
    tris = np.arange(len(pts)).reshape(-1, 3)
    assert _hidden(pts, tris, np.array([0.5, 0.5, 10.0]), [box]).tolist() == [True, False, True, False]
    edge = np.array([[0.005, 0.4, -1], [0.005, 0.6, -1], [0.005, 0.5, -2]])  # straight below, in the margin
    assert _hidden(edge, np.array([[0, 1, 2]]), np.array([0.005, 0.5, 10.0]), [box]).tolist() == [False]


def test_culling_what_the_boxes_hide_leaves_the_png_unchanged(small_build, monkeypatch) -> None:
    """The chip and substrate (opaque boxes) hide most triangles of the small design's arrays; the PNG is the
    same bytes with and without culling them."""
    from geometry.output import picture

    real, culled = picture._hidden, []
    monkeypatch.setattr(picture, "_hidden", lambda v, f, *a: culled.append(int(real(v, f, *a).sum())) or
                        real(v, f, *a))
    with_culling = picture_png(small_build.stack, width=320, height=240)
    assert sum(culled) > 0
    monkeypatch.setattr(picture, "_hidden", lambda v, f, *a: np.zeros(len(f), dtype=bool))
    assert picture_png(small_build.stack, width=320, height=240) == with_culling
