"""Generic checks: measured requirements that take body names, numbers and a check name, and return
:class:`~geometry.core.results.CheckResult` values. Each flow binds them to its bodies, design and claims in its
own ``checks`` module."""
