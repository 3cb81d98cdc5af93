"""Which files the validator reads, and how their paths are shown in findings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from gitops.errors import UsageError


def yaml_files(folder: Path) -> Iterator[Path]:
    """The `.yaml`/`.yml` files under `folder`, sorted, skipping hidden files and folders."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        if path.suffix in (".yaml", ".yml") and path.is_file():
            yield path


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: each file given, and the YAML files under each folder given."""
    if not paths:
        raise UsageError("give at least one file or folder to validate")
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = list(yaml_files(path))
            if not found:
                raise UsageError(f"{path}: no .yaml or .yml file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def shown_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, else absolute (posix)."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()
