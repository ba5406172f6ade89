"""The two store packages from the one extension folder, each with its browser's manifest.

    python extension/build.py --package dist

writes dist/feedlens-<version>-chromium.zip (Chrome Web Store) and
dist/feedlens-<version>-firefox.xpi (addons.mozilla.org; an xpi is a zip), and the same two
trees unpacked under dist/chromium/ and dist/firefox/ (what `web-ext lint` reads).

The folder's own manifest.json serves both browsers when loaded unpacked (each ignores the
other's keys); a store wants only its own: Chromium's names the service worker, Firefox's the
event page's scripts and the add-on's gecko id. Stdlib only.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

EXTENSION = Path(__file__).resolve().parent
BROWSERS = ("chromium", "firefox")
# The build's and the docs' files, and the icon's source: nothing the browser loads.
LEFT_OUT = {"build.py", "stores.py", "README.md", "icons/icon.svg"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same source gives the same bytes


def manifest_for(browser: str, manifest: dict) -> dict:
    out = json.loads(json.dumps(manifest))
    background = out["background"]
    if browser == "chromium":
        del background["scripts"]
        del out["browser_specific_settings"]  # Chromium warns about the unknown key
    elif browser == "firefox":
        del background["service_worker"]  # Firefox runs background.scripts as an event page
    else:
        raise ValueError(f"unknown browser {browser!r}, one of {BROWSERS}")
    return out


def files(source: Path = EXTENSION) -> list[str]:
    """The extension's files, relative, sorted (manifest.json among them)."""
    names = []
    for path in source.rglob("*"):
        name = path.relative_to(source).as_posix()
        if path.is_file() and name not in LEFT_OUT and not any(
                part.startswith((".", "__")) for part in name.split("/")):
            names.append(name)
    return sorted(names)


def contents(browser: str, source: Path = EXTENSION) -> dict[str, bytes]:
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    out = {name: (source / name).read_bytes() for name in files(source)}
    out["manifest.json"] = (json.dumps(manifest_for(browser, manifest), indent=2, ensure_ascii=False)
                            + "\n").encode()
    return out


def write_zip(parts: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(parts.items()):
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return path


def write_tree(parts: dict[str, bytes], directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    for name, data in parts.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    return directory


def package(out: Path, source: Path = EXTENSION) -> dict[str, Path]:
    """{"chromium": zip, "firefox": xpi}, with the unpacked trees beside them."""
    out.mkdir(parents=True, exist_ok=True)
    version = json.loads((source / "manifest.json").read_text(encoding="utf-8"))["version"]
    built = {}
    for browser in BROWSERS:
        parts = contents(browser, source)
        write_tree(parts, out / browser)
        suffix = "xpi" if browser == "firefox" else "zip"
        built[browser] = write_zip(parts, out / f"feedlens-{version}-{browser}.{suffix}")
    return built
