"""Thermal analysis: the elements of the first-order resistance network (:mod:`geometry.thermal.network`) and
the 3D steady conduction solve (:mod:`geometry.thermal.fem`) on the built package and a JEDEC test board."""
