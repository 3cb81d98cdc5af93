"""The gate, run as a user runs it, on a copy of this repository broken the ways a cluster would
not converge from: `python -m gitops render` then `validate` exits 1 with a one-line finding
naming the line of apps/ to edit. (GB504's cases: test_applyorder.py.)"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops.repo.layout import Layout


@pytest.fixture
def repo(tmp_path: Path, copy_repo: Callable[[Path], Layout]) -> Layout:
    return copy_repo(tmp_path / "repo")


def gate(layout: Layout) -> subprocess.CompletedProcess[str]:
    """Render the copy, then validate it: the validate run."""
    command = [sys.executable, "-m", "gitops"]
    render = subprocess.run(
        [*command, "render"], cwd=layout.root, capture_output=True, text=True, check=False
    )
    assert render.returncode == 0, render.stderr
    return subprocess.run(
        [*command, "validate"], cwd=layout.root, capture_output=True, text=True, check=False
    )


def replace_once(path: Path, old: str, new: str) -> int:
    """Replace `old` (once in `path`) by `new`; the 1-based line it was on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_a_route_to_a_gateway_that_does_not_exist(repo: Layout) -> None:
    routes = repo.root / "apps/guestbook/base/routes.yaml"
    line = replace_once(
        routes,
        "      name: public\n      sectionName: https-guestbook\n",
        "      name: private\n      sectionName: https-guestbook\n",
    )
    done = gate(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    found = sorted(f.split(" (rendered:")[0] for f in done.stdout.splitlines() if " GB313 " in f)
    assert found == [
        f"apps/guestbook/base/routes.yaml:{line}: error GB313 "
        f"HTTPRoute/guestbook-{env}/guestbook-web: Gateway gateway/private does not exist in "
        f"environment {env}; fix the parentRef's name/namespace or add the Gateway"
        for env in ("dev", "prod")
    ]


def test_a_secret_the_web_pods_read_that_git_does_not_provide(repo: Layout) -> None:
    """Sealed Secrets are the only source of the guestbook's Secrets: one dropped from the dev
    overlay leaves the Deployment's reference unmet (GB307), in dev only."""
    overlay = repo.root / "apps/guestbook/overlays/dev/kustomization.yaml"
    replace_once(overlay, "  - secrets/guestbook-django.yaml\n", "")
    done = gate(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    found = [f for f in done.stdout.splitlines() if " GB307 " in f]
    assert found, done.stdout
    assert all("guestbook-dev" in f and "'guestbook-django'" in f for f in found), found
    assert any("Deployment/guestbook-dev/guestbook-web" in f for f in found), found


def test_a_password_written_into_a_database_url(repo: Layout) -> None:
    """A password in DATABASE_URL (the ConfigMap the web pods read) is in git for anyone: GB426
    fails the gate in both environments, without repeating the password."""
    env_file = repo.root / "apps/guestbook/base/postgres.env"
    replace_once(
        env_file,
        "DATABASE_URL=postgres://guestbook_web@",
        "DATABASE_URL=postgres://guestbook_web:correct-horse@",
    )
    done = gate(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    found = [f for f in done.stdout.splitlines() if " GB426 " in f]
    assert sorted(f.split(" GB426 ")[1].split("/")[1] for f in found) == [
        "guestbook-dev",
        "guestbook-prod",
    ], found
    for finding in found:
        assert "ConfigMap key DATABASE_URL holds a password inside the URL" in finding
        assert "postgres://guestbook_web:***@guestbook-postgres:5432" in finding
        assert "correct-horse" not in finding


def test_entry_points_that_would_apply_with_the_controllers_own_rights(repo: Layout) -> None:
    """GB505: a layer Application back in Argo CD's `default` project, a project the rendered
    Applications name but no AppProject defines, a Flux app layer without the account it
    impersonates. Each names the file and line to edit."""
    root = repo.root
    app = root / "bootstrap/argocd/dev/layers/app.yaml"
    project = replace_once(app, "  project: dev-apps ", "  project: default ")
    replace_once(
        root / "bootstrap/argocd/prod/projects.yaml", "  name: prod-charts\n", "  name: x\n"
    )
    data = root / "bootstrap/flux/prod/data.yaml"
    replace_once(data, "  serviceAccountName: app-layers\n", "")
    spec = data.read_text(encoding="utf-8").splitlines().index("spec:") + 1
    done = gate(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    found = sorted(f for f in done.stdout.splitlines() if " GB505 " in f)
    charts = sorted((root / "clusters/prod/infra-controllers/argocd").glob("application-*.yaml"))
    assert [f.split(":")[0] for f in found] == sorted(
        [
            "bootstrap/argocd/dev/layers/app.yaml",
            "bootstrap/flux/prod/data.yaml",
            *(p.relative_to(root).as_posix() for p in charts),
        ]
    )
    assert f"bootstrap/argocd/dev/layers/app.yaml:{project}: error GB505 " in found[0]
    assert any(
        f.startswith(f"bootstrap/flux/prod/data.yaml:{spec}: error GB505 Kustomization/")
        and "applies clusters/prod/data/, where every object is namespaced (in guestbook-prod)" in f
        for f in found
    ), found
    assert all(
        "uses the project 'prod-charts', which no AppProject defines for environment prod" in f
        for f in found
        if f.startswith("clusters/")
    ), found
    assert [f for f in done.stdout.splitlines() if " error " in f and " GB505 " not in f] == []
