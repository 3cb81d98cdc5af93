"""Reading the CRD files of one upstream release: from a local clone, or from GitHub.

An upstream (SOURCES.yaml, `upstreams.<name>`) names a repository, the git ref a release is read
at (`ref`, default the tag itself), and the files that hold its CRDs (`paths`, and `fill`, see
`refresh`). A path is exact or a pattern: `*`, `?` and `[...]` match within one path segment
(`config/crd/bases/*.yaml` does not reach into sub-folders); `{tag}` is replaced by the tag.

Two readers, one interface (`commit`, `files()`, `read(path)`, `location(path)`):
- `GitTree`: a clone or mirror on disk (`git --git-dir DIR`): offline, and the commit comes from
  the clone itself (`git rev-parse TAG^{commit}`);
- `GitHubTree`: the GitHub API resolves the ref to a commit and lists the tree; files are read
  from raw.githubusercontent.com at that commit (needs network).

Every file is recorded at its permanent address, https://github.com/OWNER/NAME/blob/COMMIT/PATH.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from typing import Protocol

from gitops.errors import ConfigError

URL_TIMEOUT_SECONDS = 30
_GLOB = re.compile(r"[*?\[]")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class Tree(Protocol):
    """The files of one commit of an upstream repository."""

    repository: str
    ref: str

    @property
    def commit(self) -> str: ...

    def files(self) -> list[str]: ...

    def read(self, path: str) -> bytes: ...


def permalink(repository: str, commit: str, path: str) -> str:
    return f"https://github.com/{repository}/blob/{commit}/{path}"


def is_pattern(path: str) -> bool:
    return bool(_GLOB.search(path))


def matches(path: str, pattern: str) -> bool:
    """Segment by segment: `*` never crosses a `/`."""
    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(map(fnmatchcase, parts, wanted))


def select(tree: Tree, pattern: str) -> list[str]:
    """The files of `tree` a path or pattern names, sorted; an exact path is taken as given."""
    if not is_pattern(pattern):
        return [pattern]
    return sorted(f for f in tree.files() if matches(f, pattern))


class GitTree:
    """A ref of a local clone (bare or not): `git --git-dir`."""

    def __init__(self, git_dir: Path, repository: str, ref: str) -> None:
        self.git_dir, self.repository, self.ref = git_dir, repository, ref

    def _git(self, *args: str) -> bytes:
        try:
            done = subprocess.run(
                ["git", "--git-dir", str(self.git_dir), *args],
                capture_output=True,
                check=False,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"cannot run git in {self.git_dir}: {exc}") from exc
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise ConfigError(
                f"git {' '.join(args)}: {detail[-1] if detail else 'failed'}",
                path=str(self.git_dir),
            )
        return done.stdout

    @cached_property
    def commit(self) -> str:
        return self._git("rev-parse", "--verify", f"{self.ref}^{{commit}}").decode().strip()

    @cached_property
    def _files(self) -> list[str]:
        listing = self._git("ls-tree", "-r", "--name-only", "-z", self.commit).decode()
        return listing.split("\0")[:-1]

    def files(self) -> list[str]:
        return list(self._files)

    def read(self, path: str) -> bytes:
        return self._git("cat-file", "blob", f"{self.commit}:{path}")


def _get(url: str, accept: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT_SECONDS) as response:  # noqa: S310
            return bytes(response.read())
    except OSError as exc:
        raise ConfigError(f"cannot fetch {url}: {exc}") from exc


class GitHubTree:
    """A ref of a public GitHub repository, read over HTTPS (api.github.com, raw files)."""

    def __init__(self, repository: str, ref: str) -> None:
        self.repository, self.ref = repository, ref

    @cached_property
    def commit(self) -> str:
        url = f"https://api.github.com/repos/{self.repository}/commits/{self.ref}"
        sha = _get(url, "application/vnd.github.sha").decode().strip()
        if not _COMMIT.match(sha):
            raise ConfigError(f"{url} did not answer with a commit: {sha[:80]!r}")
        return sha

    @cached_property
    def _files(self) -> list[str]:
        url = f"https://api.github.com/repos/{self.repository}/git/trees/{self.commit}?recursive=1"
        listing = json.loads(_get(url, "application/vnd.github+json"))
        if listing.get("truncated"):
            raise ConfigError(f"{url}: the listing is truncated; give exact paths or use --git")
        return [e["path"] for e in listing.get("tree", []) if e.get("type") == "blob"]

    def files(self) -> list[str]:
        return list(self._files)

    def read(self, path: str) -> bytes:
        url = f"https://raw.githubusercontent.com/{self.repository}/{self.commit}/{path}"
        return _get(url, "*/*")


def find_clone(clones: Path, repository: str) -> Path | None:
    """The git directory of `repository` ("owner/name") in a folder of clones, or None.

    Looked for as OWNER+NAME/repo, OWNER+NAME, OWNER/NAME or NAME, each bare or with a .git.
    """
    owner, _, name = repository.partition("/")
    for base in (f"{owner}+{name}/repo", f"{owner}+{name}", f"{owner}/{name}", name):
        for candidate in (clones / base, clones / base / ".git", clones / f"{base}.git"):
            if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
                return candidate
    return None
