"""The mesh of a solid built from tiles (geometry.output.tiles): one cell prototype meshed once and stitched."""

from __future__ import annotations

import numpy as np
import trimesh

from geometry.core import occ, occ_block
from geometry.core.stack import Instances, translations
from geometry.output.mesh import prototype_mesh, prototype_meshes, signed_volume
from geometry.output.tiles import fewest_triangles, merged, stitched, tile, unique_rows, visible_tiles


def _holed_block():
    """3 x 2 cells of 1 mm, each less a 0.3 mm hole, framed by four hole-free strips (0.5 mm wide), 0.2 mm high."""
    cell = occ.cut(occ.box(-0.5, -0.5, 0, 0.5, 0.5, 0.2), [occ.cylinder(0.3, -1, 1)])
    cells = translations([(x, y, 0) for x in (-1, 0, 1) for y in (-0.5, 0.5)])
    strips = [occ.box(-2, -1.5, 0, 2, -1, 0.2), occ.box(-2, 1, 0, 2, 1.5, 0.2), occ.box(-2, -1, 0, -1.5, 1, 0.2),
              occ.box(1.5, -1, 0, 2, 1, 0.2)]
    tiles = [Instances(cell, cells), *(Instances.single(s) for s in strips)]
    return occ_block.holed_block((-2, -1.5, 0, 2, 1.5, 0.2), [(cell, cells)]), tiles


def test_stitched_cells_and_strips_make_one_closed_mesh_of_the_solid_volume():
    solid, tiles = _holed_block()
    meshes = [prototype_mesh(q.shape, 0.01, 0.3, None, occ.volume(q.shape), box=q.local_bounds) for q in tiles]
    v, f = stitched([(m.vertices, m.faces) for m in meshes], [q.placements for q in tiles],
                    [q.local_bounds for q in tiles])
    m = trimesh.Trimesh(v, f, process=False)
    assert m.is_watertight and m.is_winding_consistent and m.body_count == 1
    # the bound known before stitching: the cells' tops, bottoms and hole walls, not the strips' fans
    fewest = fewest_triangles([(m.vertices, m.faces) for m in meshes], [q.placements for q in tiles],
                              [q.local_bounds for q in tiles])
    assert 6 * (len(meshes[0].faces) - 8) == fewest < len(f)
    tiles_volume = sum(q.volume() for q in tiles)
    assert abs(signed_volume(v, f) - tiles_volume) < 1e-12 * tiles_volume
    assert abs(occ.volume(solid) - tiles_volume) < 1e-9 * tiles_volume
    np.testing.assert_allclose(m.bounds.ravel(), occ.bounds(solid), atol=1e-12)
    # no wall between tiles is left: every triangle lies on the solid's outside (top, bottom, sides or a hole)
    c = m.triangles_center
    on_box = (np.isclose(c[:, 2], 0) | np.isclose(c[:, 2], 0.2) | np.isclose(np.abs(c[:, 0]), 2)
              | np.isclose(np.abs(c[:, 1]), 1.5))
    hole = np.min(np.hypot(c[:, None, 0] - np.array([-1, 0, 1, -1, 0, 1]),
                           c[:, None, 1] - np.array([-0.5, -0.5, -0.5, 0.5, 0.5, 0.5])), axis=1) < 0.31
    assert np.all(on_box | hole)


def test_tiles_of_another_kind_are_not_stitched():
    a, b = occ.box(0, 0, 0, 1, 1, 1), occ.box(0, 0, 0, 1, 1, 0.5)
    meshes = [prototype_mesh(s, 0.01, 0.3) for s in (a, b)]
    tiles = [Instances.single(a), Instances.at(b, [(1, 0, 0)])]
    assert stitched([(m.vertices, m.faces) for m in meshes], [q.placements for q in tiles],
                    [q.local_bounds for q in tiles]) is None


def test_encapsulant_of_a_small_flip_chip_meshes_from_its_tiles(small_build):
    meshes = prototype_meshes(small_build.stack)
    body = small_build.stack["first_encapsulant"]
    (part,) = body.parts
    assert part.tiled
    (mesh,) = meshes["first_encapsulant"]
    m = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    assert m.is_watertight and m.is_winding_consistent
    assert abs(m.volume - occ.volume(part.shape)) < 1e-9 * occ.volume(part.shape)
    np.testing.assert_allclose(m.bounds.ravel(), occ.bounds(part.shape), atol=1e-9)


def test_visible_tiles_keep_only_the_outer_walls_and_enclose_the_solid():
    """The holed block as instanced tiles: the cells lose all four side walls (none is on the outside), each
    strip keeps only its outer walls; the pieces cover the welded mesh's surface (same area and volume) and
    every triangle lies on the solid's outside."""
    _, tiles = _holed_block()
    meshes = [prototype_mesh(q.shape, 0.01, 0.3, None, occ.volume(q.shape), box=q.local_bounds) for q in tiles]
    args = ([(m.vertices, m.faces) for m in meshes], [q.placements for q in tiles], [q.local_bounds for q in tiles])
    welded = trimesh.Trimesh(*stitched(*args), process=False)
    pieces = visible_tiles(*args)
    assert [len(p) for _, _, p in pieces] == [6, 1, 1, 1, 1]
    cell_v, cell_f, _ = pieces[0]
    assert len(cell_f) < len(meshes[0].faces) and len(cell_v) <= len(meshes[0].vertices)
    v, f = zip(*(tile(*piece) for piece in pieces))
    offsets = np.cumsum([0, *(len(x) for x in v[:-1])])
    whole = trimesh.Trimesh(np.vstack(v), np.vstack([x + o for x, o in zip(f, offsets)]), process=False)
    assert abs(signed_volume(whole.vertices, whole.faces) - welded.volume) < 1e-12 * welded.volume
    assert abs(whole.area - welded.area) < 1e-9 * welded.area
    c = whole.triangles_center
    on_box = (np.isclose(c[:, 2], 0) | np.isclose(c[:, 2], 0.2) | np.isclose(np.abs(c[:, 0]), 2)
              | np.isclose(np.abs(c[:, 1]), 1.5))
    hole = np.min(np.hypot(c[:, None, 0] - np.array([-1, 0, 1, -1, 0, 1]),
                           c[:, None, 1] - np.array([-0.5, -0.5, -0.5, 0.5, 0.5, 0.5])), axis=1) < 0.31
    assert np.all(on_box | hole)


def test_closed_edges_answer_as_trimesh_watertight_and_winding_consistent():
    """A closed box, the box less a face, with a face flipped, with a face doubled and a welded double box (an edge
    in four faces), as trimesh's ``is_watertight and is_winding_consistent``: the check :func:`stitched` makes of
    its edges."""
    from geometry.output.tiles import _closed_edges, _edges

    box = trimesh.creation.box()
    v, f = np.asarray(box.vertices), np.asarray(box.faces, dtype=np.int64)
    flipped = f.copy()
    flipped[0] = flipped[0, ::-1]
    pair = trimesh.util.concatenate([box, box.copy().apply_translation([1.0, 0, 0])])
    pair.merge_vertices()
    cases = [(v, f), (v, f[1:]), (v, flipped), (v, np.vstack([f, f[:1]])),
             (np.asarray(pair.vertices), np.asarray(pair.faces, dtype=np.int64))]
    answers = [_closed_edges(_edges(ff), len(vv)) for vv, ff in cases]
    meshes = [trimesh.Trimesh(vv, ff, process=False) for vv, ff in cases]
    assert answers == [m.is_watertight and m.is_winding_consistent for m in meshes]
    assert answers[0] and not any(answers[1:4])


def _duplicated_mesh(seed: int):
    """A random triangle soup whose vertices repeat (some within the 1e-8 mm rounding, some only almost), with
    unreferenced vertices, -0.0 coordinates and mirrored copies."""
    rng = np.random.default_rng(seed)
    base = np.round(rng.uniform(-5, 5, (300, 3)), 3)
    base[:20, 0] = -0.0
    v = np.vstack([base, base[:150] + 3e-10, base[:100] + 2e-7, base[::-1]])
    f = rng.integers(0, len(v) - 50, (900, 3))  # the last 50 vertices are never referenced
    return v, f


def test_merged_is_trimesh_merge_vertices_vertex_for_vertex():
    for seed in range(3):
        v, f = _duplicated_mesh(seed)
        m = trimesh.Trimesh(v, f, process=False)
        m.merge_vertices()
        m.remove_unreferenced_vertices()
        mv, mf = merged(v, f)
        assert len(mv) < len(v) - 50
        assert np.array_equal(mv, np.asarray(m.vertices)) and np.array_equal(mf, np.asarray(m.faces))


def test_unique_rows_is_numpy_unique_first_occurrence():
    for seed in range(3):
        v, _ = _duplicated_mesh(seed)
        a = np.round(v, 8)
        got = unique_rows(a)
        assert len(got) < len(a)
        assert np.array_equal(got, np.unique(a, axis=0, return_index=True)[1])


def _holed_tiles(cells: np.ndarray | None = None):
    """The holed block's tile meshes, placements and boxes, the cells at ``cells`` (N, 4, 4) if given."""
    _, tiles = _holed_block()
    meshes = [prototype_mesh(q.shape, 0.01, 0.3, None, occ.volume(q.shape), box=q.local_bounds) for q in tiles]
    placements = [q.placements for q in tiles]
    if cells is not None:
        placements[0] = cells
    return [(m.vertices, m.faces) for m in meshes], placements, [q.local_bounds for q in tiles]


def _turned(cells: np.ndarray) -> np.ndarray:
    """The cells with every other one mirrored in x and every third turned a quarter about z (the cell is
    symmetric, so the solid is the same; the faces of a mirrored one run the other way)."""
    out = cells.copy()
    out[::2, 0, 0] = -1.0
    quarter = np.array([[np.cos(np.pi / 2), -np.sin(np.pi / 2)], [np.sin(np.pi / 2), np.cos(np.pi / 2)]])
    out[1::3, :2, :2] = quarter @ out[1::3, :2, :2]
    return out


def test_stitched_welds_only_wall_vertices_and_gives_the_full_weld_bit_for_bit(monkeypatch):
    """Cells translated, mirrored and turned: the private vertices (the hole's, off the side walls) are left out
    of the weld, and the result is that of welding every vertex (:func:`tiles._apart` said False), vertex for
    vertex and bit for bit, closed and volume-true."""
    from geometry.output import tiles

    cells = translations([(x, y, 0) for x in (-1, 0, 1) for y in (-0.5, 0.5)])
    for placements in (cells, _turned(cells)):
        args = _holed_tiles(placements)
        world = np.vstack([tiles._world_boxes(b, p) for b, p in zip(args[2], args[1])])
        assert tiles._apart(world)
        own = tiles._private(args[0][0][0], args[2][0], args[1][0])
        assert 0 < own.sum() < len(own)
        v, f = stitched(*args)
        with monkeypatch.context() as m:
            m.setattr(tiles, "_apart", lambda world: False)
            full_v, full_f = stitched(*args)
        assert np.array_equal(v.view(np.int64), full_v.view(np.int64)) and np.array_equal(f, full_f)
        mesh = trimesh.Trimesh(v, f, process=False)
        assert mesh.is_watertight and mesh.is_winding_consistent
        assert abs(signed_volume(v, f) - (4 * 3 - 6 * np.pi * 0.09) * 0.2) < 0.01


def test_apart_tiles_overlap_only_on_their_edges():
    from geometry.output.tiles import _apart

    grid = np.array([[x, y, 0, x + 1, y + 1, 1] for x in range(3) for y in range(2)], dtype=float)
    assert _apart(grid)
    assert not _apart(np.vstack([grid, grid[:1]]))  # a tile twice
    assert not _apart(np.vstack([grid, [[0.5, 0.5, 2, 1.5, 1.5, 3]]]))  # a tile over others (another layer)
    assert _apart(np.vstack([grid, [[3, 0, 0, 4, 2, 1]]]))  # a strip along the side


def test_stitched_tiles_with_a_gap_a_step_or_a_hole_in_a_cell_are_not_stitched():
    """Cells spread 0.01 mm apart (the walls between them dropped, nothing closes the gaps), one cell raised by
    0.001 mm (its rims meet no neighbour's: found by the check over the whole, the prototype being sound) and cells
    whose mesh lacks one triangle of its hole wall (found by the check of the edges with a private end, once per
    prototype): None, each."""
    cells = translations([(x, y, 0) for x in (-1, 0, 1) for y in (-0.5, 0.5)])
    spread = cells.copy()
    spread[:, :2, 3] *= 1.01
    raised = cells.copy()
    raised[2, 2, 3] = 0.001
    assert stitched(*_holed_tiles(cells)) is not None
    assert stitched(*_holed_tiles(spread)) is None
    assert stitched(*_holed_tiles(raised)) is None
    meshes, placements, boxes = _holed_tiles()
    v, f = meshes[0]
    c = v[f].mean(axis=1)
    hole = np.flatnonzero(np.hypot(c[:, 0], c[:, 1]) < 0.31)[0]
    assert stitched([(v, np.delete(f, hole, axis=0)), *meshes[1:]], placements, boxes) is None


def test_stitched_cells_alone_are_the_placed_cells_less_inner_walls_welded_by_merged():
    """The holed block's cells without the strips (their outer walls kept, a different set per cell), translated,
    then mirrored and turned: the stitched mesh is, bit for bit, every cell placed (:func:`tile`), less the side
    wall triangles that do not lie on the block's outside, welded by :func:`merged`."""
    from geometry.output.tiles import EPS_MM, _wall_faces

    meshes, placements, boxes = _holed_tiles()
    (v, f), cells, b = meshes[0], placements[0], boxes[0]
    wall = _wall_faces(v, f, b).any(axis=0)
    for p in (cells, _turned(cells)):
        tv, tf = tile(v, f, p)
        lo, hi = tv.min(axis=0), tv.max(axis=0)
        outer = np.zeros(len(tf), dtype=bool)
        for a in range(3):
            for level in (lo[a], hi[a]):
                outer |= (np.abs(tv[:, a] - level) < EPS_MM)[tf].all(axis=1)
        keep = ~np.tile(wall, len(p)) | outer
        assert 0 < (~keep).sum() < np.tile(wall, len(p)).sum()
        want_v, want_f = merged(tv, tf[keep])
        got_v, got_f = stitched([(v, f)], [p], [b])
        assert np.array_equal(got_v.view(np.int64), want_v.view(np.int64)) and np.array_equal(got_f, want_f)
