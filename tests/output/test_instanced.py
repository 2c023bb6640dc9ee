"""geometry.output.instanced: prototype meshes with placements state what the tiled meshes of stack_mesh state
(same arrays, metadata, manifest record, bounds), for a flip-chip and a cavity design (wires placed with rotations)."""

from __future__ import annotations

import numpy as np
import pytest

from geometry import api
from geometry.flows import load_design
from geometry.output.instanced import linear_groups, stack_meshes
from geometry.output.mesh import concat, mesh_bounds, mesh_record, signed_volume, stack_mesh, tile
from tests.conftest import small_cavity, small_recipe


@pytest.mark.parametrize("recipe", [small_recipe, small_cavity])
def test_instanced_meshes_are_stack_mesh_untiled(recipe) -> None:
    stack = api.run(load_design(recipe())).stack
    instanced, tiled = stack_meshes(stack), stack_mesh(stack)
    again = instanced.trimeshes()
    assert list(again) == list(tiled) == list(stack.names)
    for name, m in tiled.items():
        np.testing.assert_array_equal(again[name].vertices, m.vertices)
        np.testing.assert_array_equal(again[name].faces, m.faces)
        assert again[name].metadata == m.metadata
        assert instanced[name].count == stack[name].count and instanced[name].triangles == len(m.faces)
        np.testing.assert_allclose(instanced[name].bounds(), np.asarray(m.bounds).ravel(), atol=1e-12)
    record = instanced.record()
    viewer = record.pop("viewer")
    assert record == mesh_record(tiled, None)
    assert set(viewer) == {b.name for b in stack for p in b.parts if p.tiled and p.spine is None}
    np.testing.assert_allclose(instanced.bounds(), mesh_bounds(tiled), atol=1e-12)
    assert instanced.triangles == sum(len(m.faces) for m in tiled.values())


def test_a_tiled_body_is_viewed_as_instanced_tiles_enclosing_its_volume(small_build) -> None:
    """The small flip-chip's encapsulant (one solid from tiles): drawn as a few tile meshes at many placements,
    far fewer stored triangles than its welded mesh, the same volume (the dropped walls cancel in pairs) and
    bounds, every member named once; without tiles the views are the prototypes themselves."""
    meshes = stack_meshes(small_build.stack)
    body = meshes["first_encapsulant"]
    (proto,) = body.meshes
    views = body.views()
    assert body.tiled_view and len(views) == len(proto.tiles) > 1
    placed = [tile(v.vertices, v.faces, v.placements) for v in views]
    v, f = concat(placed)
    assert signed_volume(v, f) == pytest.approx(signed_volume(proto.vertices, proto.faces), rel=1e-12)
    np.testing.assert_allclose(np.concatenate([v.min(axis=0), v.max(axis=0)]), body.bounds(), atol=1e-12)
    assert sum(len(x.faces) for x in views) < len(proto.faces) / 5
    assert {x.first + k // x.per_member for x in views for k in range(len(x.placements))} == {0}
    record = meshes.record()["viewer"]["first_encapsulant"]
    assert record["meshes"] == len(views) and record["triangles"] == len(f)
    assert record["tolerance_mm"] == proto.tolerance_mm
    (plain,) = body.views(tiles=False)
    assert plain.vertices is proto.vertices and plain.per_member == 1
    bumps = meshes["bumps"]
    assert not bumps.tiled_view and [len(x.placements) for x in bumps.views()] == [len(p) for p in bumps.placements]


def test_linear_groups_matches_unique_for_shared_and_mixed_linear_parts() -> None:
    """One shared linear part takes the fast path; mixed parts give np.unique's rows and inverse."""
    eye = np.tile(np.eye(4), (5, 1, 1))
    eye[:, 0, 3] = np.arange(5.0)
    rows, inverse = linear_groups(eye)
    assert rows.shape == (1, 9) and np.array_equal(rows[0], np.eye(3).ravel())
    assert np.array_equal(inverse, np.zeros(5, dtype=np.intp))
    mixed = eye.copy()
    mixed[[1, 3], :3, :3] = [[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    rows, inverse = linear_groups(mixed)
    ref, ref_inv = np.unique(np.round(mixed[:, :3, :3], 12).reshape(5, 9), axis=0, return_inverse=True)
    assert np.array_equal(rows, ref) and np.array_equal(inverse, ref_inv.ravel())
    assert len(rows) == 2
