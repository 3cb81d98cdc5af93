"""The two sides of the cluster-state diff: a past commit (rendered from a copy of its tree, with
its own facts and overlays) and the work tree.

Both sides are rendered by this checkout's code, so a change of the renderer itself shows up
only if it changes what a cluster receives. An environment may exist on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitops.diff.objects import EnvironmentDiff, diff_renders
from gitops.errors import GitopsError, UsageError
from gitops.render.state import Rendered, render_all, require_known
from gitops.repo.git import GitRepo
from gitops.repo.layout import Layout

DEFAULT_BASES = ("main", "origin/main")


@dataclass(frozen=True)
class ClusterDiff:
    base_label: str
    """How the base is shown to people: `main (3f2a1b9c0d)`."""
    environments: list[EnvironmentDiff]

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.environments)


def default_base(repo: GitRepo) -> tuple[str, str]:
    """(label, commit): the merge base of HEAD with `main`, else with `origin/main`."""
    for candidate in DEFAULT_BASES:
        if repo.ref_exists(candidate):
            commit = repo.merge_base("HEAD", candidate)
            return f"merge base with {candidate}", commit
    raise UsageError(
        "no BASE given and neither `main` nor `origin/main` exists to take the merge base with; "
        "name one, e.g. `nox -s diff -- HEAD~1` (in CI, fetch the base branch: "
        "actions/checkout with fetch-depth: 0)"
    )


def cluster_diff(
    layout: Layout,
    base: str | None = None,
    envs: list[str] | None = None,
    *,
    head: Rendered | None = None,
) -> ClusterDiff:
    """Render `base` (a git ref; default: see `default_base`) and compare it with `head`, the
    work tree's render (made here unless the caller has just made it)."""
    repo = GitRepo(layout.root)
    if not repo.is_repository():
        raise UsageError(f"{layout.root} is not a git repository: the diff needs a BASE commit")
    if base is None:
        label, commit = default_base(repo)
    else:
        label, commit = base, repo.resolve(base)
    label = f"{label} ({commit[:10]})"
    before = render_at(repo, layout, commit, label)
    after = head if head is not None else render_all(layout)
    if envs:
        require_known(envs, sorted(set(before.files) | set(after.files)))
    chosen = sorted(set(envs)) if envs else None
    return ClusterDiff(label, diff_renders(before, after, chosen))


def render_at(repo: GitRepo, layout: Layout, commit: str, label: str) -> Rendered:
    """Every environment as the tree of `commit` renders it (none if it has no overlays)."""
    prefix = repo.prefix()
    with repo.exported_tree(commit) as tree:
        past = Layout(tree / prefix)
        if not past.environments_dir.is_dir():
            return Rendered(files={}, complete=True)
        try:
            return render_all(past)
        except GitopsError as exc:
            message = f"rendering the base {label}: {exc.message}"
            raise type(exc)(message, path=exc.path, line=exc.line) from None
