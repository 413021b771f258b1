"""The ``plan`` step and what ``record`` derives from it.

:mod:`.plan` diffs what every intent wants in each tenant against what the tenants hold;
:mod:`.conditions` turns progress, drift and errors into kstatus conditions. The top of the
domain: imports every other group.
"""
