"""feedlens: a user-side content-preference proxy.

`from feedlens import Classifier` is the library API (feedlens/api.py). It is loaded on first
use, so `import feedlens` (every module of the package, the proxy's add-on) stays cheap; and by
name, so the package itself imports no composition module (tests/test_layers.py: no cycles).
"""

import importlib

__version__ = "0.1.0"

_API = {"Classifier", "classify"}
__all__ = ["Classifier", "classify", "__version__"]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module("feedlens.api"), name)
    raise AttributeError(f"module 'feedlens' has no attribute {name!r}")
