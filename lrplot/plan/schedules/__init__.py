"""Schedules other projects keep in their training code, reproduced faithfully (file and commit cited).

Each module exports ``SCHEDULES``: the factories a config names as ``lrplot.<project>.<name>``
(allowed by default: they are lrplot's own code). The tests compare each with a verbatim copy
of the original function kept in tests/fixtures, bit for bit.
"""
