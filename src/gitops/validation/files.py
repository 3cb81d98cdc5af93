"""Which files the validator reads, how their paths are shown in findings, and reading one.

PATH mode reads `.yaml`, `.yml` and `.json` files (JSON is read as the YAML it is a subset of, so
findings keep their lines), and `-` as one YAML or JSON stream from stdin, named `<stdin>`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from gitops.errors import UsageError
from gitops.validation.loader import Loaded, load_bytes, load_file

YAML_SUFFIXES = (".yaml", ".yml")
MANIFEST_SUFFIXES = (*YAML_SUFFIXES, ".json")
STDIN = Path("-")
STDIN_NAME = "<stdin>"


def yaml_files(folder: Path, suffixes: Sequence[str] = YAML_SUFFIXES) -> Iterator[Path]:
    """The files under `folder` with one of `suffixes` (`.yaml`/`.yml`), sorted, skipping hidden
    files and folders."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        if path.suffix in suffixes and path.is_file():
            yield path


def collect_files(paths: Sequence[Path]) -> list[Path]:
    """The inputs to read: each file given, the manifest files (.yaml, .yml, .json) under each
    folder given, and `-` (stdin) once."""
    if not paths:
        raise UsageError("give at least one file or folder to validate")
    files: list[Path] = []
    for path in paths:
        if path == STDIN:
            files.append(STDIN)
        elif path.is_dir():
            found = list(yaml_files(path, MANIFEST_SUFFIXES))
            if not found:
                raise UsageError(f"{path}: no .yaml, .yml or .json file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def load_input(path: Path) -> Loaded:
    """The objects of one input of `collect_files`: a file (JSON too), or stdin for `-`."""
    if path == STDIN:
        data = sys.stdin.buffer.read()
        if data.lstrip()[:1] in (b"{", b"["):
            data = json_spaces(data)
        return load_bytes(data, STDIN_NAME)
    if path.suffix != ".json":
        return load_file(path, shown_path(path))
    try:
        data = path.read_bytes()
    except OSError:
        return load_file(path, shown_path(path))  # the finding that says why
    return load_bytes(json_spaces(data), shown_path(path))


def json_spaces(data: bytes) -> bytes:
    """JSON with each tab outside a string made a space: JSON allows tabs between tokens, YAML
    does not; nothing else moves, so lines stay where they were. (UTF-8 never uses the bytes of
    `"`, `\\` or tab inside a multi-byte character, so bytes are safe to scan.)"""
    if b"\t" not in data:
        return data
    out = bytearray(data)
    in_string = escaped = False
    for i, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte == 0x09:
            out[i] = 0x20
    return bytes(out)


def shown_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, else absolute (posix)."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()
