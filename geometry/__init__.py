"""pkgcad: parametric 3D CAD of two claimed semiconductor packaging processes, built step by step and checked.

The Python API is :mod:`geometry.api` (load, run, check, manifest, export). This package module stays light:
the geometry modules import CadQuery, which takes seconds to load.
"""
