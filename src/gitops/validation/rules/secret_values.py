"""The project's policy for credentials outside Secrets: a container's plain `env` and ConfigMaps.

GB415 keeps Secret objects with data out of git; a password written as an env var's `value` or
in a ConfigMap is in git just the same (and readable by anyone who may read the ConfigMap or the
pod spec). What looks like a credential, with this heuristic:

1. A secret-like name with a literal value. The name (an env var's, a ConfigMap key's, or the
   key of a `NAME=value` / `name: value` line in a ConfigMap file) is split into words (at `_`,
   `-`, `.` and camelCase humps); it is secret-like when a word is PASSWORD, PASSWD, PASS,
   PASSPHRASE, SECRET, TOKEN, APIKEY, CREDENTIAL(S) or AUTHKEY, or two words make API KEY,
   ACCESS KEY, PRIVATE KEY, SIGNING KEY, ENCRYPTION KEY, AUTH KEY or MASTER KEY — unless the
   last word says the value is about the secret, not the secret (FILE, PATH, NAME, ID, URL,
   HOST, USER, TTL, TYPE, ENABLED...: `POSTGRES_PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`,
   `TOKEN_URL`). A value is literal unless it is empty, a number or a boolean, a duration, a
   file path (`/run/secrets/db`), or a reference resolved elsewhere (`$(VAR)`, `${VAR}`, `$VAR`,
   `{{ template }}`).
2. Credentials inside a URL, under any name: `scheme://user:password@host` with a literal
   password (`postgres://app:$(DB_PASSWORD)@db` is fine; so is `postgres://app@db`).
3. Well-known token shapes, under any name: AWS access key ids (AKIA/ASIA...), GitHub tokens
   (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab (glpat-), Slack (xox?-), Google API keys
   (AIza...), Stripe live keys (sk_live_, rk_live_), JSON Web Tokens (eyJ...eyJ...), and PEM
   private keys (-----BEGIN ... PRIVATE KEY-----).

`valueFrom` (secretKeyRef, configMapKeyRef, fieldRef...) is never reported: that is the fix. A
ConfigMap value of several lines is a file: rules 2 and 3 apply to all of it, rule 1 to its lines
that assign a value (`KEY=value`, `key: value`, `key = value`, `"key": "value"`). Messages never
repeat the value. Severity: an error, as GB415: anything committed is public forever, so the fix
is to rotate the credential as well as to move it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._index import index_of
from gitops.validation.rules._util import as_dict, items_of

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
SECRET_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASS", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "APIKEY",
     "CREDENTIAL", "CREDENTIALS", "AUTHKEY"}
)  # fmt: skip
SECRET_PAIRS = frozenset(
    {("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SIGNING", "KEY"),
     ("ENCRYPTION", "KEY"), ("AUTH", "KEY"), ("MASTER", "KEY"), ("SECRET", "KEY")}
)  # fmt: skip
NOT_THE_SECRET = frozenset(
    {"FILE", "FILES", "PATH", "DIR", "NAME", "NAMES", "REF", "ID", "IDS", "URL", "URI", "ENDPOINT",
     "HOST", "PORT", "USER", "USERNAME", "LOGIN", "TTL", "EXPIRY", "EXPIRES", "EXPIRATION",
     "TIMEOUT", "LIFETIME", "LENGTH", "SIZE", "MIN", "MAX", "ENABLED", "DISABLED", "ENABLE",
     "DISABLE", "REQUIRED", "TYPE", "MODE", "HEADER", "FIELD", "PARAM", "PREFIX", "SUFFIX",
     "VERSION", "BACKEND", "PROVIDER", "SOURCE", "STORE", "ALGORITHM", "ALG", "ISSUER",
     "AUDIENCE", "SCOPE", "SCOPES", "POLICY", "ROTATION", "HASHER", "FORMAT", "LOCATION", "MOUNT",
     "KIND", "KEY"}
)  # fmt: skip
"""Last words that make a name about a secret rather than the secret (KEY: `SECRET_KEY` is a
pair, but `TOKEN_KEY` names where a token is found, as `SECRET_NAME` does)."""

_REFERENCE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*|.*(\$\(|\$\{|\{\{|%\(|%s).*", re.DOTALL)
"""A value resolved elsewhere: $VAR, $(VAR), ${VAR}, {{ template }}, %(name)s, %s."""
_NOT_LITERAL = re.compile(
    r"""(?x)
    [-+]?[0-9]+(\.[0-9]+)?                     # a number
    | (?i:true|false|yes|no|on|off|null|none|nil)  # a boolean or nothing
    | [0-9]+(ms|s|m|h|d)                        # a duration
    | (\.\.?|~)?/.*                             # a path: /run/secrets/x, ./x, ../x, ~/x
    | [|>][-+0-9]* | [\[{(] | [&*][A-Za-z0-9_-]+  # a YAML block, mapping start, anchor, alias
    """
)
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<user>[^\s:/@]*):(?P<password>[^\s/@]+)@"
    r"(?P<host>[^\s/?#]*)"
)
TOKEN_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern))
    for what, pattern in (
        ("an AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("a GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
        ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
        ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("a Stripe live key", r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"),
        ("a JSON Web Token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        ("a PEM private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    )
)
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+)?["']?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*(?P<value>.*?)\s*,?$"""
)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether an env var, ConfigMap key or config key names a credential (rule 1)."""
    words = [w.upper() for w in _WORD.findall(name)]
    if not words or (words[-1] in NOT_THE_SECRET and tuple(words[-2:]) not in SECRET_PAIRS):
        return False
    return any(w in SECRET_WORDS for w in words) or any(
        pair in SECRET_PAIRS for pair in itertools.pairwise(words)
    )


def is_literal(value: Any) -> bool:
    """Whether a value is written out here (not empty, a number, a path or a reference)."""
    if not isinstance(value, str):
        return False
    text = value.strip().strip("\"'").strip()
    return bool(text) and not _NOT_LITERAL.fullmatch(text) and not _REFERENCE.fullmatch(text)


def _masked_url(match: re.Match[str]) -> str:
    return f"{match['scheme']}://{match['user']}:***@{match['host']}"


def _url_problem(value: str) -> str | None:
    for match in _URL_CREDENTIALS.finditer(value):
        password = match["password"]
        if not _REFERENCE.fullmatch(password) and set(password) != {"*"}:
            return f"a password inside the URL {_masked_url(match)}"
    return None


def value_problem(name: str, value: Any) -> str | None:
    """What in `value` (under `name`) looks like a credential (rules 1-3), None if nothing."""
    if not isinstance(value, str):
        return None
    for what, pattern in TOKEN_SHAPES:
        if pattern.search(value):
            return f"what looks like {what}"
    problem = _url_problem(value)
    if problem:
        return problem
    if "\n" in value.strip():
        return _file_problem(value)
    if is_secret_name(name) and is_literal(value):
        return "a literal value under a name that says it is a secret"
    return None


def _file_problem(text: str) -> str | None:
    """Rule 1 for the lines of a file that assign a value to a secret-like key."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ASSIGNMENT.match(line)
        if match and is_secret_name(match["name"]) and is_literal(match["value"]):
            return f"a literal {match['name']} on its line {number}"
    return None


def _fix(ctx: Context) -> str:
    seal = ": nox -s seal -- ENV NAME KEY" if ctx.facts.environment else ""
    return (
        "rotate it, keep it in a Secret that is never plain in git (Sealed Secrets"
        f"{seal}; SOPS; External Secrets) and read it with valueFrom.secretKeyRef"
    )


def _env_issues(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in view.containers():
        for i, env in items_of(container.get("env")):
            name = env.get("name")
            if "valueFrom" in env or not isinstance(name, str):
                continue
            problem = value_problem(name, env.get("value"))
            if problem:
                yield Issue(
                    view.manifest,
                    (*cpath, "env", i, "value"),
                    f"{container.get('name', '?')}: env var {name} holds {problem}, in git for "
                    f"anyone to read; {_fix(ctx)}",
                )


def _configmap_issues(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    for key, value in as_dict(manifest.obj.get("data")).items():
        problem = value_problem(str(key), value)
        if problem:
            path: FieldPath = ("data", key)
            yield Issue(
                manifest,
                path,
                f"ConfigMap key {key} holds {problem}, in git for anyone to read (and in the "
                f"cluster for anyone who may read ConfigMaps); {_fix(ctx)} (envFrom.secretRef "
                "for a set of variables, a secret volume for a file)",
            )


@rule(
    "GB426",
    "secret-in-plain-value",
    severity="error",
    scope="environment",
    summary="A container's env value or a ConfigMap holds what looks like a credential (a "
    "secret-like name with a literal value, a password in a URL, a known token shape).",
    remediation="Rotate it; keep it in a Secret (sealed) and read it with valueFrom.secretKeyRef.",
)
def check_plain_values(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for _, view in index.pods:
        yield from _env_issues(view, ctx)
    for manifest in index.of_kind("ConfigMap"):
        if manifest.api_version == "v1":
            yield from _configmap_issues(manifest, ctx)
