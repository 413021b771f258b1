"""Operator tests: a fast GitSource timer tick (read when the handlers are imported)."""

import os

os.environ.setdefault("EUCORA_SOURCE_TICK", "0.3")
