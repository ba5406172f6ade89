"""feedlens: a user-side content-preference proxy."""

__version__ = "0.1.0"
