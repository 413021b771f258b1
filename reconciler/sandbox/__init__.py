"""Emulated Intune (Graph + token endpoint) tenant for demos and tests.

So far the Graph apps slice: see :mod:`._graph`. Public API: :class:`Sandbox`.
"""

from reconciler.sandbox._server import Sandbox

__all__ = ["Sandbox"]
