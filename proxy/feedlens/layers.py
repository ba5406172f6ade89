"""Rule packs in layers: which adapter is in force for each platform, and from which pack.

The layers, bottom first: the rules directory (the bundled `rules/` is the pack `feedlens-core`),
the user's rules directory (`user-rules`), then each of the user's packs (paths.pack_dirs()) in
name order. A pack is a directory in the layout of rules/ with an optional `pack.yaml`; only its
name and version are read here (a directory without one is named after itself, version
`unversioned`). Adapters layer by platform: a higher layer's adapter for a platform a lower one
also has replaces it, and the replacement is a notice (health, `rules check`). Within one pack
a second adapter for a platform is refused, as load_adapters() refuses it. Everything fails
open: a file or a pack header that does not load is reported and the layers below stay in force.
Profiles never layer: a pack's profile is offered only under a name no layer below has
(paths.layered_files), so a pack cannot replace or weaken a profile a parent locked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__, paths
from .adapters import Adapter, AdapterError, AdapterSet, compile_adapter
from .yamlsrc import YamlError, parse

CORE = "feedlens-core"
USER_RULES = "user-rules"
UNVERSIONED = "unversioned"
HEADER = "pack.yaml"


@dataclass(frozen=True)
class Pack:
    name: str
    version: str
    path: Path
    error: str | None = None  # the header could not be read: the pack's content is not loaded

    @property
    def label(self) -> str:
        """How an item records its pack: `feedlens-core 2026.12.06`."""
        return f"{self.name} {self.version}"

    def files(self, kind: str) -> list[Path]:
        folder = self.path / kind
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.yaml") if p.is_file())


def read_pack(directory: Path, name: str | None = None, version: str = UNVERSIONED) -> Pack:
    """The pack in `directory`: its header's name and version, else `name` (default: the
    directory's name) and `version`."""
    directory = Path(directory)
    fallback = Pack(name or directory.name, version, directory)
    header = directory / HEADER
    if not header.is_file():
        return fallback
    try:
        data = parse(header.read_text(encoding="utf-8"), str(header)).data
    except (OSError, UnicodeDecodeError, YamlError) as exc:
        return replace(fallback, error=f"{header}:1: cannot read the pack header: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        return replace(fallback, error=f"{header}:1: the pack header has no name")
    found = data.get("version")
    return Pack(data["name"], version if found is None else str(found), directory)


def packs_for(rules_dir: Path | None) -> list[Pack]:
    """Every layer, bottom first."""
    rules = Path(rules_dir) if rules_dir else paths.rules_dir()
    base = read_pack(rules, CORE, __version__) if paths.is_bundled(rules) else read_pack(rules)
    layers = [base]
    if paths.user_rules_dir().is_dir():
        layers.append(read_pack(paths.user_rules_dir(), USER_RULES))
    return layers + [read_pack(d) for d in paths.pack_dirs()]


def watched_files(rules_dir: Path | None) -> list[Path]:
    """The files whose change means reloading the adapters: each layer's header and adapters."""
    return [f for pack in packs_for(rules_dir) for f in (pack.path / HEADER, *pack.files("platforms"))]


def stamp(adapter: Adapter, name: str, version: str) -> Adapter:
    """The adapter and each of its endpoints know the pack they came from."""
    adapter.pack = (name, version)
    for endpoint in adapter.endpoints:
        endpoint.pack = adapter.pack
    return adapter


@dataclass(frozen=True)
class Replacement:
    platform: str
    pack: str  # the pack whose adapter is in force
    replaced: str  # the pack whose adapter it replaces
    path: str  # the replaced adapter's file

    def notice(self) -> str:
        return (f"platform {self.platform!r}: the adapter of pack {self.pack!r} replaces the one "
                f"of {self.replaced!r} ({self.path})")


@dataclass
class Layering:
    packs: list[Pack]
    in_force: list[tuple[Pack, Path, Adapter]]
    errors: list[str] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    texts: tuple[tuple[str, str, str, str], ...] = ()  # (path, text, pack, version) for workers

    def adapter_set(self) -> AdapterSet:
        return AdapterSet.of([adapter for _, _, adapter in self.in_force], list(self.errors))

    def notices(self) -> list[str]:
        return [r.notice() for r in self.replacements] + profile_notices(self.packs)

    def report_lines(self) -> list[str]:
        """The layers for a terminal (`feedlens rules check`): one line per pack, then notices."""
        lines = []
        for entry in self.summary():
            held = ", ".join(entry["adapters"]) or "no adapters in force"
            lines.append(f"pack {entry['name']} {entry['version']} ({entry['path']}): {held}"
                         + (f" [not loaded: {entry['error']}]" if entry["error"] else ""))
        return lines + [f"notice: {text}" for text in self.notices()]

    def summary(self) -> list[dict]:
        """Per pack, for health: what it holds in force and what it replaced."""
        return [{"name": pack.name, "version": pack.version, "path": str(pack.path),
                 "adapters": [a.platform for p, _, a in self.in_force if p is pack],
                 "replaces": [{"platform": r.platform, "pack": r.replaced}
                              for r in self.replacements if r.pack == pack.name],
                 "error": pack.error}
                for pack in self.packs]


def layer(packs: list[Pack], compile_file: Callable[[Path, Pack], Adapter | None],
          errors: list[str]) -> Layering:
    """Compile each pack's adapters (compile_file reports its own failures in `errors` and
    returns None) and stack them, bottom first."""
    in_force: dict[str, tuple[Pack, Path, Adapter]] = {}
    replacements = []
    for pack in packs:
        if pack.error:
            errors.append(f"{pack.error}; pack {pack.name!r} is not loaded")
            continue
        own: dict[str, Path] = {}
        for path in pack.files("platforms"):
            adapter = compile_file(path, pack)
            if adapter is None:
                continue
            if adapter.platform in own:
                errors.append(f"{path}:1: platform {adapter.platform!r} is already defined in "
                              f"{own[adapter.platform]}")
                continue
            own[adapter.platform] = path
            below = in_force.get(adapter.platform)
            if below is not None:
                replacements.append(Replacement(adapter.platform, pack.name, below[0].name, str(below[1])))
            in_force[adapter.platform] = (pack, path, stamp(adapter, pack.name, pack.version))
    return Layering(packs, list(in_force.values()), errors, replacements)


def profile_notices(packs: list[Pack]) -> list[str]:
    """A user pack's profile named like one below it is not offered: say so."""
    taken: dict[str, Path] = {}
    notices = []
    for pack in packs:
        for path in pack.files("profiles"):
            if path.name in taken and pack.name not in (CORE, USER_RULES):
                notices.append(f"profile {path.stem!r} of pack {pack.name!r} is not offered: a "
                               f"pack never replaces a profile ({taken[path.name]} stays)")
            else:
                taken.setdefault(path.name, path)
    return notices


def _stamp_of(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class LayerLoader:
    """Loads the layers, keeping each adapter file compiled while it and its pack's name and
    version are unchanged (an adapter in force is never re-stamped: a new pack version compiles
    a new one); a file that stops compiling keeps its previous version (with an error)."""

    def __init__(self):
        self._files: dict[Path, tuple[tuple | None, Adapter, str]] = {}

    def reset(self) -> None:
        self._files = {}

    def load(self, rules_dir: Path | None) -> Layering:
        errors: list[str] = []
        kept: dict[Path, tuple[tuple | None, Adapter, str]] = {}

        def compile_file(path: Path, pack: Pack) -> Adapter | None:
            stamp_now, previous = _stamp_of(path), self._files.get(path)
            same = previous is not None and previous[0] == stamp_now
            if same and previous[1].pack == (pack.name, pack.version):
                kept[path] = previous
                return previous[1]
            try:
                text = previous[2] if same else path.read_text(encoding="utf-8")
                kept[path] = (stamp_now, compile_adapter(parse(text, str(path))), text)
                return kept[path][1]
            except (OSError, UnicodeDecodeError) as exc:
                errors.append(f"{path}:1: cannot read: {exc}")
            except (AdapterError, YamlError) as exc:
                errors.extend(getattr(exc, "messages", None) or [str(exc)])
            if previous is None:
                return None
            adapter = previous[1]
            if adapter.pack != (pack.name, pack.version):  # compiled before: compiles again
                adapter = compile_adapter(parse(previous[2], str(path)))
            kept[path] = (previous[0], adapter, previous[2])
            errors.append(f"{path}:1: keeping the previous version of this adapter")
            return adapter

        layering = layer(packs_for(rules_dir), compile_file, errors)
        self._files = kept
        layering.texts = tuple((str(path), kept[path][2], pack.name, pack.version)
                               for pack, path, _ in layering.in_force)
        return layering


def load_layers(rules_dir: Path | None = None) -> Layering:
    """The layers as they stand (the command line's view)."""
    return LayerLoader().load(rules_dir)
