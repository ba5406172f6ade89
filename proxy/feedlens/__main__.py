"""`python -m feedlens`: the same as the `feedlens` command."""

import sys

from feedlens.cli import main

sys.exit(main())
