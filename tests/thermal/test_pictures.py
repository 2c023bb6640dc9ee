"""Temperature pictures of the 3D solve in the design report (issue 17): with ``thermal.solve = true`` the
report embeds the section and package-top temperature maps; without it, neither."""

from __future__ import annotations

import base64
import re

import numpy as np

from geometry import api
from geometry.flows import load_design
from geometry.output.temperature import TITLES, section_figure, top_figure
from tests.conftest import small_cavity


def embedded(text: str, title: str) -> bytes | None:
    """The PNG bytes of the picture ``title`` embedded as a data URI in a Markdown or HTML report."""
    m = re.search(rf"(?:!\[{re.escape(title)}\]\(|alt=\"{re.escape(title)}\" src=\")data:image/png;base64,"
                  r"([A-Za-z0-9+/=]+)", text)
    return base64.b64decode(m.group(1)) if m else None


def plot_colours(fig) -> int:
    """Distinct RGB colours drawn inside the first axes (the temperature map, not its colour bar) of ``fig``."""
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    x0, y0, x1, y1 = (round(float(v)) for v in fig.axes[0].get_window_extent().extents)
    h = rgb.shape[0]
    inner = rgb[h - y1 + 2:h - y0 - 2, x0 + 2:x1 - 2]
    return len(np.unique(inner.reshape(-1, 3), axis=0))


def test_report_embeds_the_temperature_pictures_when_solved(tmp_path) -> None:
    build = api.run(load_design(small_cavity(thermal={"solve": True, "mesh": 1.0})))
    folder, c = api.report(build, None, tmp_path)
    md, page = (folder / "report.md").read_text(), (folder / "report.html").read_text()
    tm = c["thermal"].temperature
    rise = tm.solution.temperature.max() - tm.solution.temperature.min()
    assert rise > 1.0
    assert len(md) > 0 and folder == tmp_path / "small-cavity"
    for key, title in TITLES:
        png = embedded(md, title)
        assert png is not None and png == c["pictures"][key] and png.startswith(b"\x89PNG")
        assert embedded(page, title) == png
    for draw in (section_figure, top_figure):
        assert plot_colours(draw(tm)) > 1000  # a uniform field draws about a hundred (edges)
    plain = api.report(api.run(load_design(small_cavity())), None, tmp_path / "plain")[1]
    assert not set(plain["pictures"]) & {k for k, _ in TITLES}
    assert plain["thermal"].temperature is None
