"""What the research commands share: the data directory and a Store with Research opened on it,
like the proxy's, for one command."""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..store import FILE_NAME


def data_dir(args) -> Path:
    return paths.data_dir(args.data_dir)


async def with_research(args, work):
    """Run `work(research)` on a Store and Research opened on the data dir, then close them."""
    from ..store import Store
    from .recorder import Research

    directory = data_dir(args)
    store = Store(directory / FILE_NAME, prune_interval=0)
    research = Research(store, directory)
    await store.start()
    try:
        await research.start()
        return await work(research)
    finally:
        await store.close()
