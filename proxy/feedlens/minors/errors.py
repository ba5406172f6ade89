"""Errors of the minors feature that callers (API, CLI, add-on) tell apart."""


class MinorsError(ValueError):
    """A request the caller can fix (bad name, bad minutes, already decided)."""


class NotFound(MinorsError, LookupError):
    pass
