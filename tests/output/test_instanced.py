"""geometry.output.instanced: prototype meshes with placements state what the tiled meshes of stack_mesh state
(same arrays, metadata, manifest record, bounds), for a flip-chip and a cavity design (wires placed with rotations)."""

from __future__ import annotations

import numpy as np
import pytest

from geometry import api
from geometry.flows import load_design
from geometry.output.instanced import stack_meshes
from geometry.output.mesh import mesh_bounds, mesh_record, stack_mesh
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
    assert instanced.record() == mesh_record(tiled, None)
    np.testing.assert_allclose(instanced.bounds(), mesh_bounds(tiled), atol=1e-12)
    assert instanced.triangles == sum(len(m.faces) for m in tiled.values())
