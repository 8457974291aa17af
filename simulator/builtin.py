"""The files erpsim ships inside its package: dataset profiles, adoption scenarios and load
mixes, found by name.

They live in ``simulator/data/`` (package data, so an installed wheel has them); the
checkout's ``fixtures/profiles`` and ``scenarios`` are symbolic links to those directories,
so the paths the documentation shows work there too. Load mixes sit beside the scenarios as
``load-<name>.toml``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from simulator.errors import UserError

Kind = Literal["profile", "scenario", "load mix"]
_DIRECTORY: dict[Kind, str] = {
    "profile": "profiles",
    "scenario": "scenarios",
    "load mix": "scenarios",
}
LOAD_PREFIX = "load-"


def data_dir(kind: Kind) -> Path:
    """The directory of one kind of built-in file (a real directory: wheels are unpacked)."""
    return Path(str(files("simulator").joinpath("data", _DIRECTORY[kind])))


def builtin_names(kind: Kind) -> list[str]:
    """The names the built-in files of ``kind`` answer to (``small``, ``baseline``, ...)."""
    stems = sorted(path.stem for path in data_dir(kind).glob("*.toml"))
    if kind == "load mix":
        return [stem.removeprefix(LOAD_PREFIX) for stem in stems if stem.startswith(LOAD_PREFIX)]
    if kind == "scenario":
        return [stem for stem in stems if not stem.startswith(LOAD_PREFIX)]
    return stems


def builtin_path(kind: Kind, name: str) -> Path:
    """The file of built-in ``name``."""
    stem = f"{LOAD_PREFIX}{name}" if kind == "load mix" else name
    return data_dir(kind) / f"{stem}.toml"


def resolve(kind: Kind, name_or_path: str | Path) -> Path:
    """An existing file, else the built-in of that name; otherwise a UserError listing them."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix == ".toml" or candidate.exists() or "/" in text:
        if not candidate.is_file():
            raise UserError(f"{kind} file not found: {text}")
        return candidate
    if text in builtin_names(kind):
        return builtin_path(kind, text)
    known = ", ".join(builtin_names(kind))
    plural = "load mixes" if kind == "load mix" else f"{kind}s"
    raise UserError(f"unknown {kind} {text!r} (built-in {plural}: {known}; or a TOML file)")
