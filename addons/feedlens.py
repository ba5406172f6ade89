"""feedlens for mitmproxy, from a checkout: `mitmdump -s addons/feedlens.py`.

A thin shim over the installed package (`feedlens addon-path` prints the installed script's
path). Without an install it falls back to the package source in ../proxy.
"""

import sys
from pathlib import Path

try:
    import feedlens  # noqa: F401
except ImportError:  # a checkout used without `pip install`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "proxy"))

from feedlens.script import addons  # noqa: E402,F401
