"""PATH mode's settings: which rules run, at which severity, on which files, and the facts; from
the command line over `[tool.gitops.validate]` of the nearest pyproject.toml, as ruff does.

    select            codes or prefixes to turn on, instead of the default (ALL)
    extend-select     codes or prefixes to turn on in addition
    ignore            codes or prefixes to turn off
    severity          {code or prefix = "error" | "warning"}  (--warn CODES, --error CODES)
    per-file-ignores  {glob = [codes]}, globs relative to the config file's folder
    kubernetes-version, custom-resources, crd-paths, require-digests, namespace: the facts

A code is `ALL`, or `GB` and up to three digits: `GB4` (every policy rule), `GB41`, `GB417`.
The config file is the nearest pyproject.toml with a `[tool.gitops.validate]` table, searched
from the working directory upward (`--config FILE` names one instead).

Rule selection follows ruff: the default (ALL), the config file, then the command line, each a
layer. A layer that sets `select` starts over from it (what earlier layers selected or ignored is
dropped); `extend-select` and `ignore` apply on top of what came before. Inside a layer, less
specific codes apply first (ALL, GB4, GB41, then GB417), so the more specific one wins whatever
the order (`select GB4` + `ignore GB417`, `ignore GB4` + `extend-select GB417`); at the same
specificity `ignore` wins. Severities layer the same way: the command line's `--warn`/`--error`
after the config's `severity` table, more specific codes after less specific ones, `--error`
after `--warn` at the same specificity. Every other setting given on the command line replaces
the config file's (paths on the command line are relative to the working directory, in the
config file to its folder).

GB0xx (the input cannot be read as Kubernetes objects, a suppression annotation is broken) are
always on, as errors: like ruff's syntax errors, nothing after them could be trusted. `select`
without them still reports them; naming them in ignore, per-file-ignores, severity, --warn or
--error is a configuration error.

Repository mode (no PATH) reads none of this: this repository's gate runs every rule at its
registered severity (`repository_settings`), whatever a pyproject.toml says; one object opts out
of one rule with an `ignore-check.gitops/<rule>` annotation that says why.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar, cast

from gitops.errors import ConfigError, GitopsError, UsageError
from gitops.validation.files import MANIFEST_SUFFIXES, STDIN_NAME, load_input, yaml_files
from gitops.validation.model import DEFAULT_KUBERNETES_VERSION, Facts, Finding, Manifest, Severity
from gitops.validation.registry import Rule

T = TypeVar("T")

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "gitops", "validate")
TABLE_NAME = "[tool.gitops.validate]"
DEFAULT = "default"
COMMAND_LINE = "command line"
ALL = "ALL"
FIXED = "GB0"
"""Rules that are always on, as errors: the input could not be read (GB001-GB003), or an
annotation meant to silence a rule is broken (GB004)."""
SEVERITIES: tuple[Severity, ...] = ("error", "warning")
KEYS = (
    "select",
    "extend-select",
    "ignore",
    "severity",
    "per-file-ignores",
    "kubernetes-version",
    "custom-resources",
    "crd-paths",
    "require-digests",
    "namespace",
)
_CODE = re.compile(r"^(ALL|GB[0-9]{0,3})$")
_VERSION = re.compile(r"^v?1\.\d+(\.\d+)?$")
_CUSTOM = re.compile(r"^([a-z0-9.-]+/)?v[0-9a-z]+/[A-Za-z][A-Za-z0-9]*$")
CRD_KIND = "CustomResourceDefinition"


# ---- what the command line gives -------------------------------------------------------------


@dataclass(frozen=True)
class CommandLine:
    """The options of `validate` that settings are made of (None or empty: not given)."""

    config: Path | None = None
    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    warn: Sequence[str] = ()
    error: Sequence[str] = ()
    kubernetes_version: str | None = None
    custom_resources: Sequence[str] = ()
    crd_paths: Sequence[Path] = ()
    require_digests: bool | None = None
    namespace: str | None = None

    def given(self) -> list[str]:
        """The options given, as their flags (repository mode refuses every one of them)."""
        flags = {
            "--config": self.config is not None,
            "--select": self.select is not None,
            "--extend-select": bool(self.extend_select),
            "--ignore": bool(self.ignore),
            "--warn": bool(self.warn),
            "--error": bool(self.error),
            "--kubernetes-version": self.kubernetes_version is not None,
            "--custom-resource": bool(self.custom_resources),
            "--crd-path": bool(self.crd_paths),
            "--require-digests": self.require_digests is not None,
            "--namespace": self.namespace is not None,
        }
        return [flag for flag, given in flags.items() if given]


def split_codes(values: Iterable[str] | None) -> list[str] | None:
    """`--select GB4,GB101 --select GB3` → [GB4, GB101, GB3] (None stays None)."""
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


# ---- the resolved settings -------------------------------------------------------------------


@dataclass(frozen=True)
class Setting(Generic[T]):
    value: T
    source: str  # DEFAULT, the config file as shown, or COMMAND_LINE


@dataclass(frozen=True)
class Layer:
    """One layer of rule selection and severities: the default, the config file, the command
    line."""

    source: str
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()


@dataclass(frozen=True)
class FileIgnore:
    """One entry of per-file-ignores: a glob and the rules it turns off for the files it
    matches. As in .gitignore, a glob with a `/` at its start or in its middle is anchored at
    `base` (the config file's folder) and matches a file or a folder above it (`vendor/**`,
    `./vendor`); one without (a trailing `/` does not count) matches the name of the file or of
    a folder it is in below `base` (`*.json`, `generated`)."""

    pattern: str
    codes: tuple[str, ...]
    rules: frozenset[str]
    regex: re.Pattern[str]
    anchored: bool
    base: PurePosixPath

    def matches(self, path: PurePosixPath) -> bool:
        if self.anchored:
            return any(self.regex.fullmatch(str(p)) for p in (path, *path.parents))
        try:
            names = path.relative_to(self.base).parts
        except ValueError:
            names = (path.name,)
        return any(self.regex.fullmatch(name) for name in names)


@dataclass
class Settings:
    """What one run of `validate` uses: the rules on and their severity, the file ignores and
    PATH mode's facts, each with where it came from."""

    repository: bool
    config: Path | None
    config_note: str
    layers: tuple[Layer, ...]
    registry: Mapping[str, Rule]
    selected: frozenset[str]
    overrides: Mapping[str, Severity]
    per_file_ignores: Setting[tuple[FileIgnore, ...]]
    kubernetes_version: Setting[str]
    custom_resources: Setting[tuple[str, ...]]
    crd_paths: Setting[tuple[Path, ...]]
    require_digests: Setting[bool]
    namespace: Setting[str | None]
    _ignored: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def severity(self, rule_id: str) -> Severity | None:
        """The rule's severity in this run, or None when it is off."""
        if rule_id not in self.selected:
            return None
        return self.overrides.get(rule_id, self.registry[rule_id].severity)

    def facts(self) -> Facts:
        version = self.kubernetes_version.value
        return Facts(
            kubernetes_version=".".join(version.lstrip("v").split(".")[:2]),
            require_digest=self.require_digests.value,
            namespace=self.namespace.value,
            custom_resources=self.custom_resources.value,
        )

    def effective_rules(self) -> dict[str, Rule]:
        """The rules on, at their severity in this run (what SARIF lists)."""
        return {
            rid: replace(rule_obj, severity=level)
            for rid, rule_obj in self.registry.items()
            if (level := self.severity(rid)) is not None
        }

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings of the rules on, not ignored for their file, at their severity."""
        kept = []
        for finding in findings:
            if finding.rule not in self.selected or finding.rule in self._ignored_in(finding.path):
                continue
            level = self.overrides.get(finding.rule, finding.severity)
            kept.append(finding if level == finding.severity else replace(finding, severity=level))
        return kept

    def _ignored_in(self, shown: str) -> frozenset[str]:
        entries = self.per_file_ignores.value
        if not entries or shown == STDIN_NAME or shown.startswith("("):
            return frozenset()
        if shown not in self._ignored:
            path = PurePosixPath(posixpath.normpath((Path.cwd() / shown).as_posix()))
            rules: set[str] = set()
            for entry in entries:
                if entry.matches(path):
                    rules |= entry.rules
            self._ignored[shown] = frozenset(rules)
        return self._ignored[shown]

    def load_crds(self) -> list[Manifest]:
        """The CustomResourceDefinitions of crd-paths (a file that does not load, or a path
        without any CRD, is a configuration error)."""
        found: list[Manifest] = []
        for path in self.crd_paths.value:
            files = [path] if path.is_file() else list(yaml_files(path, MANIFEST_SUFFIXES))
            crds: list[Manifest] = []
            for file in files:
                loaded = load_input(file)
                if loaded.findings:
                    first = loaded.findings[0]
                    raise ConfigError(
                        f"crd-paths: {first.message}", path=first.path, line=first.line
                    )
                crds += [m for m in loaded.manifests if m.kind == CRD_KIND]
            if not crds:
                raise ConfigError(f"crd-paths ({self.crd_paths.source}): no {CRD_KIND} in {path}")
            found += crds
        return found


# ---- codes, selection and severities ---------------------------------------------------------


def specificity(code: str) -> int:
    return 0 if code == ALL else len(code)


def matching(code: str, ids: Iterable[str]) -> set[str]:
    """The rules a code names (ALL: every rule)."""
    return {rid for rid in ids if code == ALL or rid.startswith(code)}


def code_problem(code: str, ids: Iterable[str], *, turns_off: bool) -> str | None:
    """What is wrong with a code, or None. `turns_off`: it ignores or re-grades rules, which
    GB0xx refuse."""
    if not _CODE.match(code):
        hint = f"; did you mean {code.upper()!r}?" if _CODE.match(code.upper()) else ""
        return (
            f"{code!r} is not a rule code or prefix (ALL, GB, GB4, GB41, GB417: see "
            f"--list-rules){hint}"
        )
    if not matching(code, ids):
        return f"no rule is {code} or starts with it (see --list-rules)"
    if turns_off and code.startswith(FIXED):
        return (
            f"{code} cannot be ignored or re-graded: GB0xx are always on, as errors (the input "
            "cannot be read as Kubernetes objects, or a suppression annotation is broken)"
        )
    return None


def resolve(layers: Sequence[Layer], ids: Sequence[str]) -> frozenset[str]:
    """The rules on after every layer (ruff's resolution; see the module's docstring)."""
    selected: set[str] = set()
    for layer in layers:
        if layer.select is not None:
            selected = set()
        turn_on = (*(layer.select or ()), *layer.extend_select)
        entries = [(specificity(c), False, c) for c in turn_on]
        entries += [(specificity(c), True, c) for c in layer.ignore]
        for _, turn_off, code in sorted(entries):
            if turn_off:
                selected -= matching(code, ids)
            else:
                selected |= matching(code, ids)
    selected |= {rid for rid in ids if rid.startswith(FIXED)}
    return frozenset(selected)


def severity_overrides(layers: Sequence[Layer], ids: Sequence[str]) -> dict[str, Severity]:
    """The rules whose severity a layer sets, and the severity the last one gives them."""
    overrides: dict[str, Severity] = {}
    for layer in layers:
        entries = sorted(layer.severity, key=lambda e: (specificity(e[0]), e[1] == "error"))
        for code, level in entries:
            for rid in matching(code, ids):
                if not rid.startswith(FIXED):
                    overrides[rid] = level
    return overrides


# ---- globs -----------------------------------------------------------------------------------


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression over posix paths: `*` and `?` within a folder name,
    `[abc]`/`[!abc]` a character of (not of) the set, `**` as a whole segment any number of
    folders. ValueError says what is wrong with a bad one."""
    segments = pattern.split("/")
    pieces = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            pieces.append(".*" if last else "(?:[^/]*/)*")
            continue
        if "**" in segment:
            raise ValueError("'**' must be a whole path segment, as in 'vendor/**/*.yaml'")
        pieces.append(_segment_regex(segment) + ("" if last else "/"))
    try:
        return re.compile("".join(pieces))
    except re.error as exc:
        raise ValueError(f"bad character set: {exc}") from None


def _segment_regex(segment: str) -> str:
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = i + 1
            if end < len(segment) and segment[end] in "!^":
                end += 1
            if end < len(segment) and segment[end] == "]":
                end += 1
            end = segment.find("]", end)
            if end < 0:
                raise ValueError("a '[' is never closed with ']'")
            body = segment[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append(f"[{'^' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


# ---- the config file -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigFile:
    path: Path  # absolute
    shown: str
    table: dict[str, Any]
    lines: TomlLines

    def fail(self, message: str, key: Sequence[str] = (), needle: str | None = None) -> ConfigError:
        line = self.lines.line((*TABLE, *key), needle)
        return ConfigError(message, path=self.shown, line=line)


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.gitops.validate] table, at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file() and read_config(candidate, start, required=False) is not None:
            return candidate
    return None


def read_config(path: Path, cwd: Path, *, required: bool = True) -> ConfigFile | None:
    """The [tool.gitops.validate] table of a TOML file (None when it has none and is not
    `required`)."""
    shown = _shown(path, cwd)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read the config file: {reason}", path=shown) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, shown, text) from None
    lines = TomlLines(text)
    node: Any = data
    for depth, key in enumerate(TABLE):
        if not isinstance(node, dict) or key not in node:
            if required:
                raise ConfigError(f"there is no {TABLE_NAME} table in it", path=shown)
            return None
        node = node[key]
        if not isinstance(node, dict):
            name = ".".join(TABLE[: depth + 1])
            raise ConfigError(
                f'{name} must be a table, e.g. {TABLE_NAME} with select = ["ALL"] under it, '
                f"not {_type(node)}",
                path=shown,
                line=lines.line(TABLE[: depth + 1]),
            )
    return ConfigFile(path.absolute(), shown, node, lines)


def _toml_error(exc: tomllib.TOMLDecodeError, shown: str, text: str) -> ConfigError:
    message = str(exc)
    where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if where:
        message = f"{message[: where.start()]} (column {where[2]})"
        return ConfigError(f"not valid TOML: {message}", path=shown, line=int(where[1]))
    if message.endswith("(at end of document)"):
        line = text.count("\n") + (0 if text.endswith("\n") else 1)
        message = message.replace(" (at end of document)", " at the end of the file")
        return ConfigError(f"not valid TOML: {message}", path=shown, line=max(line, 1))
    return ConfigError(f"not valid TOML: {message}", path=shown)


_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")


class TomlLines:
    """The line of each key of a TOML text (tomllib gives none): table headers and `key =`
    lines, dotted keys and quoted ones included; enough to point an error at its line."""

    def __init__(self, text: str) -> None:
        self.text_lines = text.splitlines()
        self.keys: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.text_lines, 1):
            header = _HEADER.match(line)
            if header:
                table = _key_parts(header[2])
                if header[1] == "[[":
                    table = ("[[", *table)  # array of tables: not a place errors point at
                self.keys.setdefault(table, number)
                continue
            assign = _ASSIGN.match(line)
            if assign:
                self.keys.setdefault((*table, *_key_parts(assign[1])), number)

    def line(self, key: Sequence[str], needle: str | None = None) -> int | None:
        """The line of `key` (or of its nearest parent that has one); with `needle`, the line
        of that string value at or below it (an item of a multi-line array)."""
        found = None
        for end in range(len(key), 0, -1):
            found = self.keys.get(tuple(key[:end]))
            if found is not None:
                break
        if found is None or needle is None:
            return found
        following = [n for n in self.keys.values() if n > found]
        stop = min(following, default=len(self.text_lines) + 1)
        quoted = (json.dumps(needle), f"'{needle}'")
        for number in range(found, stop):
            if any(q in self.text_lines[number - 1] for q in quoted):
                return number
        return found


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for part in re.findall(_KEY, dotted):
        if part.startswith('"'):
            parts.append(json.loads(part))
        else:
            parts.append(part[1:-1] if part.startswith("'") else part)
    return tuple(parts)


def _type(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _shown(path: Path, cwd: Path) -> str:
    absolute = Path(posixpath.normpath(path.absolute().as_posix()))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


# ---- reading the config table ----------------------------------------------------------------


class _Reader:
    """Reads and checks [tool.gitops.validate], each problem a ConfigError at its line."""

    def __init__(self, config: ConfigFile, ids: Sequence[str]) -> None:
        self.config = config
        self.ids = ids
        self.table = config.table
        unknown = [key for key in self.table if key not in KEYS]
        if unknown:
            key = unknown[0]
            guess = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else f"; the keys: {', '.join(KEYS)}"
            raise config.fail(f"unknown key {key!r} in {TABLE_NAME}{hint}", (key,))

    def fail(self, key: Sequence[str], message: str, needle: str | None = None) -> ConfigError:
        name = ".".join(part if _BARE.match(part) else json.dumps(part) for part in key)
        return self.config.fail(f"{TABLE_NAME} {name}: {message}", key, needle)

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail((key,), f"must be an array of strings, not {_type(value)}")
        return tuple(value)

    def codes(self, key: str, *, turns_off: bool) -> tuple[str, ...] | None:
        codes = self.strings(key)
        for code in codes or ():
            problem = code_problem(code, self.ids, turns_off=turns_off)
            if problem:
                raise self.fail((key,), problem, code)
        return codes

    def subtable(self, key: str) -> dict[str, Any]:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.fail((key,), f"must be a table, not {_type(value)}")
        return value

    def severity(self) -> tuple[tuple[str, Severity], ...]:
        entries = []
        for code, level in self.subtable("severity").items():
            problem = code_problem(code, self.ids, turns_off=True)
            if problem:
                raise self.fail(("severity",), problem, code)
            if level not in SEVERITIES:
                raise self.fail(
                    ("severity", code), f'must be "error" or "warning", not {json.dumps(level)}'
                )
            entries.append((code, cast(Severity, level)))
        return tuple(entries)

    def per_file_ignores(self) -> tuple[FileIgnore, ...] | None:
        if "per-file-ignores" not in self.table:
            return None
        base = PurePosixPath(self.config.path.parent.as_posix())
        entries = []
        for pattern, codes in self.subtable("per-file-ignores").items():
            key = ("per-file-ignores", pattern)
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise self.fail(key, f"must be an array of rule codes, not {_type(codes)}")
            for code in codes:
                problem = code_problem(code, self.ids, turns_off=True)
                if problem:
                    raise self.fail(key, problem, code)
            entries.append(file_ignore(pattern, tuple(codes), base, self.ids, self.fail))
        return tuple(entries)

    def string(self, key: str) -> str | None:
        value = self.table.get(key)
        if value is not None and not isinstance(value, str):
            quote = ' (quote it: "1.30" is not 1.3)' if isinstance(value, float) else ""
            raise self.fail((key,), f"must be a string, not {_type(value)}{quote}")
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.table.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail((key,), f"must be true or false, not {_type(value)}")
        return value


def file_ignore(
    pattern: str,
    codes: tuple[str, ...],
    base: PurePosixPath,
    ids: Sequence[str],
    fail: Callable[..., GitopsError],
) -> FileIgnore:
    key = ("per-file-ignores", pattern)
    if not pattern.strip():
        raise fail(key, "an empty glob matches no file")
    stripped = pattern.rstrip("/") or "/"
    anchored = "/" in stripped
    joined = stripped
    if anchored and not stripped.startswith("/"):
        joined = posixpath.normpath(f"{base}/{stripped}")
    try:
        regex = glob_regex(joined)
    except ValueError as exc:
        raise fail(key, f"bad glob {pattern!r}: {exc}") from None
    rules = frozenset(rid for code in codes for rid in matching(code, ids))
    rules = frozenset(rid for rid in rules if not rid.startswith(FIXED))
    return FileIgnore(pattern, codes, rules, regex, anchored, base)


# ---- putting them together -------------------------------------------------------------------


def repository_settings(registry: Mapping[str, Rule], cwd: Path) -> Settings:
    """Repository mode: every rule on at its registered severity; no config is read (one found
    is only named, so --show-settings can say it does not apply here)."""
    note = "[tool.gitops.validate] is not read in repository mode"
    try:
        found = find_config(cwd)
    except GitopsError:
        found = None
    if found is not None:
        note += f" ({_shown(found, cwd)} has one: it applies to `validate PATH...` only)"
    default = Layer(DEFAULT, select=(ALL,))
    return Settings(
        repository=True,
        config=None,
        config_note=note,
        layers=(default,),
        registry=registry,
        selected=frozenset(registry),
        overrides={},
        per_file_ignores=Setting((), DEFAULT),
        kubernetes_version=Setting("(each environment's)", DEFAULT),
        custom_resources=Setting((), DEFAULT),
        crd_paths=Setting((), DEFAULT),
        require_digests=Setting(False, DEFAULT),
        namespace=Setting(None, DEFAULT),
    )


def load_settings(cli: CommandLine, registry: Mapping[str, Rule], cwd: Path) -> Settings:
    """PATH mode's settings: the command line over the config file over the defaults."""
    ids = list(registry)
    config_path: Path | None
    if cli.config is not None:
        config_path = cwd / cli.config
        if not config_path.is_file():
            problem = "is not a file" if config_path.exists() else "no such file"
            raise UsageError(f"--config {cli.config}: {problem}")
        note = "given with --config"
    else:
        config_path = find_config(cwd)
        note = (
            f"the nearest {PYPROJECT} with {TABLE_NAME}, searched upward from {cwd.as_posix()}"
            if config_path
            else f"no {PYPROJECT} with {TABLE_NAME} at or above {cwd.as_posix()}"
        )
    config = read_config(config_path, cwd) if config_path is not None else None
    layers = [Layer(DEFAULT, select=(ALL,))]
    values: dict[str, Setting[Any]] = {}
    if config is not None:
        layer, values = _from_config(config, ids)
        layers.append(layer)
    layers.append(_from_command_line(cli, ids))
    cli_values = _cli_values(cli, cwd)

    def pick(key: str, default: Any) -> Setting[Any]:
        return cli_values.get(key) or values.get(key) or Setting(default, DEFAULT)

    return Settings(
        repository=False,
        config=config.path if config else None,
        config_note=note,
        layers=tuple(layers),
        registry=registry,
        selected=resolve(layers, ids),
        overrides=severity_overrides(layers, ids),
        per_file_ignores=pick("per-file-ignores", ()),
        kubernetes_version=pick("kubernetes-version", DEFAULT_KUBERNETES_VERSION),
        custom_resources=pick("custom-resources", ()),
        crd_paths=pick("crd-paths", ()),
        require_digests=pick("require-digests", False),
        namespace=pick("namespace", None),
    )


def _from_config(config: ConfigFile, ids: Sequence[str]) -> tuple[Layer, dict[str, Setting[Any]]]:
    read = _Reader(config, ids)
    layer = Layer(
        config.shown,
        select=read.codes("select", turns_off=False),
        extend_select=read.codes("extend-select", turns_off=False) or (),
        ignore=read.codes("ignore", turns_off=True) or (),
        severity=read.severity(),
    )
    found: dict[str, Any] = {"per-file-ignores": read.per_file_ignores()}
    version = read.string("kubernetes-version")
    if version is not None and not _VERSION.match(version):
        message = f'takes a version like "1.33", not {json.dumps(version)}'
        raise read.fail(("kubernetes-version",), message)
    found["kubernetes-version"] = version
    custom = read.strings("custom-resources")
    for item in custom or ():
        if not _CUSTOM.match(item):
            message = f'takes apiVersion/Kind, e.g. "example.com/v1/Widget", not {item!r}'
            raise read.fail(("custom-resources",), message, item)
    found["custom-resources"] = custom
    paths = read.strings("crd-paths")
    if paths is not None:
        resolved = []
        for item in paths:
            path = Path(posixpath.normpath((config.path.parent / item).as_posix()))
            if not path.exists():
                raise read.fail(("crd-paths",), f"{item}: no such file or folder", item)
            resolved.append(path)
        found["crd-paths"] = tuple(resolved)
    found["require-digests"] = read.boolean("require-digests")
    found["namespace"] = read.string("namespace")
    values = {k: Setting(v, config.shown) for k, v in found.items() if v is not None}
    return layer, values


def _from_command_line(cli: CommandLine, ids: Sequence[str]) -> Layer:
    def codes(flag: str, given: Sequence[str] | None, *, turns_off: bool) -> tuple[str, ...]:
        for code in given or ():
            problem = code_problem(code, ids, turns_off=turns_off)
            if problem:
                raise UsageError(f"{flag}: {problem}")
        return tuple(given or ())

    select = codes("--select", cli.select, turns_off=False) if cli.select is not None else None
    severity = [(c, "warning") for c in codes("--warn", cli.warn, turns_off=True)]
    severity += [(c, "error") for c in codes("--error", cli.error, turns_off=True)]
    return Layer(
        COMMAND_LINE,
        select=select,
        extend_select=codes("--extend-select", cli.extend_select, turns_off=False),
        ignore=codes("--ignore", cli.ignore, turns_off=True),
        severity=tuple(cast(list[tuple[str, Severity]], severity)),
    )


def _cli_values(cli: CommandLine, cwd: Path) -> dict[str, Setting[Any]]:
    values: dict[str, Setting[Any]] = {}
    if cli.kubernetes_version is not None:
        if not _VERSION.match(cli.kubernetes_version):
            raise UsageError(
                f"--kubernetes-version takes a version like 1.33, got {cli.kubernetes_version!r}"
            )
        values["kubernetes-version"] = Setting(cli.kubernetes_version, COMMAND_LINE)
    if cli.custom_resources:
        values["custom-resources"] = Setting(_custom_resources(cli), COMMAND_LINE)
    if cli.crd_paths:
        values["crd-paths"] = Setting(_crd_paths(cli, cwd), COMMAND_LINE)
    if cli.require_digests is not None:
        values["require-digests"] = Setting(cli.require_digests, COMMAND_LINE)
    if cli.namespace is not None:
        values["namespace"] = Setting(cli.namespace, COMMAND_LINE)
    return values


def _custom_resources(cli: CommandLine) -> tuple[str, ...]:
    for item in cli.custom_resources:
        if not _CUSTOM.match(item):
            raise UsageError(
                f"--custom-resource takes apiVersion/Kind, e.g. example.com/v1/Widget, got {item!r}"
            )
    return tuple(cli.custom_resources)


def _crd_paths(cli: CommandLine, cwd: Path) -> tuple[Path, ...]:
    for path in cli.crd_paths:
        if not (cwd / path).exists():
            raise UsageError(f"--crd-path {path}: no such file or folder")
    return tuple(Path(posixpath.normpath((cwd / p).as_posix())) for p in cli.crd_paths)


# ---- --show-settings -------------------------------------------------------------------------


def describe(settings: Settings, cwd: Path) -> str:
    """What --show-settings prints: every setting with its source, then every rule."""
    lines = []
    if settings.repository:
        lines += [
            f"# validate: repository mode ({cwd.as_posix()})",
            f"# {settings.config_note}",
            "# the gate runs every rule at its registered severity, with each environment's facts",
            "# (apps/environments/<env>/environment.yaml); one object opts out of one rule with an",
            "# ignore-check.gitops/<rule> annotation that says why",
        ]
    else:
        config = _shown(settings.config, cwd) if settings.config else "(none)"
        lines += [
            "# validate: PATH mode",
            f"config = {config}  # {settings.config_note}",
            *_layer_lines(settings.layers),
            *(_line(key, text, value.source) for key, text, value in _facts_lines(settings, cwd)),
        ]
    registry = settings.registry
    on = sum(1 for rid in registry if settings.severity(rid) is not None)
    lines.append(f"# rules: {on} of {len(registry)} on (GB0xx always, as errors)")
    width = max((len(r.name) for r in registry.values()), default=0)
    for rid, rule_obj in registry.items():
        level = settings.severity(rid)
        text = f"{rid}  {level or 'off':<7}  {rule_obj.name:<{width}}"
        if level is not None and level != rule_obj.severity:
            text += f"  (registered: {rule_obj.severity})"
        lines.append(text.rstrip())
    return "\n".join(lines) + "\n"


def _facts_lines(settings: Settings, cwd: Path) -> list[tuple[str, str, Setting[Any]]]:
    crd_paths = [_shown(p, cwd) for p in settings.crd_paths.value]
    return [
        ("per-file-ignores", _ignores_text(settings.per_file_ignores.value),
         settings.per_file_ignores),
        ("kubernetes-version", json.dumps(settings.kubernetes_version.value),
         settings.kubernetes_version),
        ("custom-resources", json.dumps(list(settings.custom_resources.value)),
         settings.custom_resources),
        ("crd-paths", json.dumps(crd_paths), settings.crd_paths),
        ("require-digests", json.dumps(settings.require_digests.value), settings.require_digests),
        ("namespace", json.dumps(settings.namespace.value or ""), settings.namespace),
    ]  # fmt: skip


def _layer_lines(layers: Sequence[Layer]) -> list[str]:
    """select, extend-select and ignore as each layer sets them from the last `select` on (it
    drops what came before), severity as every layer sets it; a key no layer sets: empty."""
    last_select = max(i for i, layer in enumerate(layers) if layer.select is not None)
    lines = []
    keys: list[tuple[str, Callable[[Layer], Any]]] = [
        ("select", lambda layer: layer.select),
        ("extend-select", lambda layer: layer.extend_select or None),
        ("ignore", lambda layer: layer.ignore or None),
        ("severity", lambda layer: layer.severity or None),
    ]
    for key, get in keys:
        counted = layers if key == "severity" else layers[last_select:]
        set_by = [(layer, get(layer)) for layer in counted if get(layer) is not None]
        if not set_by:
            lines.append(_line(key, "{}" if key == "severity" else "[]", DEFAULT))
        for layer, value in set_by:
            if key == "severity":
                text = "{" + ", ".join(f"{c} = {json.dumps(v)}" for c, v in value) + "}"
            else:
                text = json.dumps(list(value))
            lines.append(_line(key, text, layer.source))
    return lines


def _ignores_text(entries: Sequence[FileIgnore]) -> str:
    items = [f"{json.dumps(e.pattern)} = {json.dumps(list(e.codes))}" for e in entries]
    return "{" + ", ".join(items) + "}"


def _line(key: str, value: str, source: str) -> str:
    return f"{key} = {value}  # {source}"
