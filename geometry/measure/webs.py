"""Webs between round neighbours (mm), vectorised over draws: neighbour pairs of an array and the least web (centre
distance less both radii) per draw; and the truncated normal draws of the tolerance studies (issue 16)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def neighbour_pairs(xy: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (P, 2) of plan centres ``xy`` (N, 2) within 1.5 ``spacing`` (mm) of each other, and their centre
    distances (P,), mm."""
    pairs = np.array(sorted(cKDTree(xy).query_pairs(spacing * 1.5)), dtype=int).reshape(-1, 2)
    return pairs, np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)


def least_web(radius: np.ndarray, pairs: np.ndarray, distance: np.ndarray, m: int) -> np.ndarray:
    """Least web (mm) per draw between the paired members of an array of ``m``: ``radius`` (n, m), or (n, 1) for
    one radius per draw; inf without pairs."""
    if not len(pairs):
        return np.full(len(radius), np.inf)
    r = np.broadcast_to(radius, (len(radius), m))
    return (distance - r[:, pairs[:, 0]] - r[:, pairs[:, 1]]).min(axis=1)


def truncated_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws truncated (clipped) at 3 sigma."""
    return np.clip(rng.standard_normal(shape), -3.0, 3.0)


def sizes(rng: np.random.Generator, nominal: float, sigma: float, n: int, m: int) -> np.ndarray:
    """``m`` member sizes (mm) for each of ``n`` draws about ``nominal`` (sigma mm, truncated at 3 sigma); (n, 1)
    of the nominal when ``sigma`` is 0 (nothing drawn)."""
    return nominal + sigma * truncated_normal(rng, (n, m)) if sigma > 0 else np.full((n, 1), nominal)
