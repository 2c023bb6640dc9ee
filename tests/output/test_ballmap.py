"""The bottom-view ball map (geometry/output/ballmap.py): one circle and one label per ball, the A1 marker in the
corner nearest ball A1, mirrored in x as a bottom view is."""

from __future__ import annotations

import numpy as np
import pytest

from geometry.core.jedec import BallMap, grid_ball_map
from geometry.output.ballmap import LABEL_LIMIT, ball_map_figure, write_ball_map

pytest.importorskip("matplotlib")


def _map(n: int = 4) -> BallMap:
    xs = (np.arange(n) - (n - 1) / 2) * 1.0
    gx, gy = np.meshgrid(xs, xs)
    sites = np.column_stack([gx.ravel(), gy.ravel()])
    return grid_ball_map(sites, np.ones(len(sites), bool), 1.0, 1.0, "top-left", 0.5, (n + 1.0, n + 1.0))


def test_every_ball_drawn_and_named_in_bottom_view() -> None:
    m = _map()
    fig = ball_map_figure(m, "demo", dpi=50)
    ax = fig.axes[0]
    circles = {p.get_gid(): p for p in ax.patches if str(p.get_gid()).startswith("ball:")}
    assert set(circles) == {f"ball:{n}" for n in m.names} and len(circles) == 16
    a1 = m.centres[m.names.index("A1")]
    assert circles["ball:A1"].center == pytest.approx((-a1[0], a1[1]))  # bottom view: x mirrored
    assert a1 == pytest.approx((1.5, 1.5)) and circles["ball:A1"].center[0] < 0
    labels = {t.get_text() for t in ax.texts}
    assert labels == set(m.names)
    marker = next(p for p in ax.patches if p.get_gid() == "a1-marker")
    assert (marker.get_xy()[:, 0] < 0).all() and (marker.get_xy()[:, 1] > 0).all()


def test_large_map_labels_its_edges_and_writes_a_file(tmp_path) -> None:
    m = _map(26)
    assert len(m.names) > LABEL_LIMIT
    fig = ball_map_figure(m, "big", dpi=40)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "A" in texts and "AB" in texts and "26" in texts and "A1" not in texts
    path = write_ball_map(m, "big", tmp_path / "map.png", dpi=40)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ball_map_refuses_mismatched_names() -> None:
    with pytest.raises(ValueError, match="one name per"):
        BallMap(np.zeros((2, 2)), ("A1",), 0.5, (2.0, 2.0))
