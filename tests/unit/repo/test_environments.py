"""The environment facts files (apps/environments/<env>/environment.yaml): what the pipeline
reads, and how it complains (file and line)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.environments import (
    AppFacts,
    BackupFacts,
    BuilderFacts,
    CertificateFacts,
    ImageFacts,
    environment_names,
    load_environment,
    load_environments,
)
from gitops.repo.layout import Layout

DEV_FACTS = Path("apps/environments/dev/environment.yaml")
# blocks of dev's facts in the fixture repository (tests/unit/repo/conftest.py)
IMAGE = """\
    image:
      name: guestbook
      repository: ghcr.io/example/guestbook
      requireDigest: false
"""
BACKUP = """\
    backup:
      endpoint: https://s3.example.com
      bucket: guestbook-backups
      prefix: guestbook-dev/
"""
GUESTBOOK = (
    "  guestbook:\n    namespace: guestbook-dev\n    host: guestbook.dev.example.com\n"
    + IMAGE
    + BACKUP
)
APPS = "apps:\n" + GUESTBOOK
BUILT_BY = "requireDigest: false\n      builtBy:\n        repository: o/r\n"
CERTIFICATES = """\
certificates:
  issuer: letsencrypt-staging
  email: platform@example.com
  server: https://acme-staging-v02.api.letsencrypt.org/directory
"""


def _edit_dev_facts(layout: Layout, old: str, new: str) -> None:
    facts = layout.facts_file("dev")
    text = facts.read_text()
    assert old in text
    facts.write_text(text.replace(old, new, 1))


def test_the_facts_are_read_per_environment_and_per_app(facts_repo: Layout) -> None:
    dev = load_environment(facts_repo, "dev")
    assert dev.name == "dev"
    assert dev.facts_file == facts_repo.facts_file("dev")
    assert dev.kubernetes_version == "1.34"
    assert dev.required_kinds == ()
    assert dev.certificates == CertificateFacts(
        issuer="letsencrypt-staging",
        email="platform@example.com",
        server="https://acme-staging-v02.api.letsencrypt.org/directory",
    )
    assert dict(dev.apps) == {
        "guestbook": AppFacts(
            name="guestbook",
            namespace="guestbook-dev",
            host="guestbook.dev.example.com",
            image=ImageFacts("guestbook", "ghcr.io/example/guestbook", require_digest=False),
            backup=BackupFacts(
                endpoint="https://s3.example.com",
                bucket="guestbook-backups",
                prefix="guestbook-dev/",
            ),
        )
    }
    assert dev.require_digest is False
    prod = load_environment(facts_repo, "prod")
    assert prod.require_digest is True
    assert prod.required_kinds == ("HorizontalPodAutoscaler", "PodDisruptionBudget")
    assert prod.certificates is None  # optional: an environment without public certificates
    assert prod.apps["guestbook"].backup is None  # optional too


def test_only_apps_that_pin_an_image_are_deployable(facts_repo: Layout) -> None:
    """An app with facts but no image (the infrastructure's namespace, say) is not what bump,
    promote and rollback change; any app that requires a digest makes the environment require
    one."""
    _edit_dev_facts(facts_repo, "apps:\n", "apps:\n  infrastructure:\n    namespace: gateway\n")
    dev = load_environment(facts_repo, "dev")
    assert sorted(dev.apps) == ["guestbook", "infrastructure"]
    assert dev.apps["infrastructure"] == AppFacts("infrastructure", "gateway", "", None)
    assert [app.name for app in dev.deployable_apps()] == ["guestbook"]
    assert dev.require_digest is False
    _edit_dev_facts(
        facts_repo,
        "    namespace: gateway\n",
        "    namespace: gateway\n    image: {name: i, repository: r, requireDigest: true}\n",
    )
    assert load_environment(facts_repo, "dev").require_digest is True


def test_a_new_environment_is_a_folder(facts_repo: Layout) -> None:
    shutil.copytree(facts_repo.environment_dir("dev"), facts_repo.environment_dir("staging"))
    assert environment_names(facts_repo) == ["dev", "prod", "staging"]
    assert load_environment(facts_repo, "staging").name == "staging"
    assert [env.name for env in load_environments(facts_repo)] == ["dev", "prod", "staging"]


def test_an_environment_folder_without_facts_is_a_configuration_error(facts_repo: Layout) -> None:
    """Every folder of apps/environments/ is an environment: one without facts must not quietly
    stop being rendered (render would then delete its clusters/ folder)."""
    facts_repo.facts_file("dev").unlink()
    with pytest.raises(
        ConfigError, match=r"apps/environments/dev/ has no environment\.yaml"
    ) as caught:
        load_environment(facts_repo, "dev")
    assert caught.value.exit_code == 2
    assert "nox -s render -- --prune" in caught.value.message


def test_an_overlay_of_an_unknown_environment_is_a_configuration_error(facts_repo: Layout) -> None:
    """An overlay folder whose environment has no facts would never be rendered: refused, named."""
    (facts_repo.app_dir("infrastructure") / "overlays" / "scratch").mkdir()
    with pytest.raises(ConfigError) as caught:
        environment_names(facts_repo)
    assert caught.value.message == (
        "apps/infrastructure/overlays/scratch/ is the overlay of an environment that does not "
        "exist (no apps/environments/scratch/environment.yaml): restore the facts, or delete "
        "the overlay"
    )


def test_hidden_folders_and_files_are_not_environments(facts_repo: Layout) -> None:
    (facts_repo.environments_dir / ".cache").mkdir()
    (facts_repo.environments_dir / "README.md").write_text("notes\n")
    (facts_repo.overlay_dir("guestbook", ".scratch")).mkdir()
    assert environment_names(facts_repo) == ["dev", "prod"]


def test_without_the_environments_folder_nothing_is_an_environment(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    with pytest.raises(ConfigError, match=r"apps/environments: folder not found"):
        environment_names(Layout(tmp_path))


def test_an_empty_environments_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "apps" / "environments").mkdir(parents=True)
    with pytest.raises(ConfigError, match="no environment found"):
        load_environments(Layout(tmp_path))


def test_unknown_environment_names_the_known_ones(facts_repo: Layout) -> None:
    with pytest.raises(ConfigError, match=r"unknown environment 'qa' \(known: dev, prod\)"):
        load_environment(facts_repo, "qa")


def test_an_environment_folder_name_must_be_a_dns_label(facts_repo: Layout) -> None:
    shutil.copytree(facts_repo.environment_dir("dev"), facts_repo.environment_dir("Staging"))
    with pytest.raises(ConfigError, match="must be a DNS label") as caught:
        load_environment(facts_repo, "Staging")
    assert caught.value.path == Path("apps/environments/Staging")


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ('kubernetesVersion: "1.34"', "kubernetesVersion: 1.34.2", "kubernetesVersion", 2),
        ("requiredKinds: []", "requiredKinds: Deployment", "requiredKinds must be a list", 3),
        ("customResources: []", "customResources: [1]", "customResources must be a list", 4),
        ("requiredKinds: []", "requiredKinds: []\ncolour: blue", "unknown fact 'colour'", 4),
        (CERTIFICATES, "certificates: letsencrypt\n", "certificates must be a mapping", 5),
        ("  issuer: letsencrypt-staging\n", "  issuer: ''\n", "ClusterIssuer's name", 6),
        ("  email: platform@example.com\n", "", "ACME account's e-mail", 6),
        ("  server: https", "  url: https", "unknown certificates key 'url'", 8),
        (APPS, "apps: [guestbook]\n", "apps must map each app's name to its facts", 9),
        ("  guestbook:\n", "  shop:\n    namespace: shop\n  guestbook:\n", "no app 'shop'", 10),
        (GUESTBOOK, "  guestbook: guestbook-dev\n", "apps.guestbook must be a mapping", 10),
        ("    namespace: guestbook-dev", "    namespace: ''", "apps.guestbook: the namespace", 11),
        ("    host: guestbook", "    replicas: 2\n    host: guestbook", "fact 'replicas'", 12),
        (IMAGE, "    image: ghcr.io/example/guestbook:1\n", "image must be a mapping", 13),
        ("      name: guestbook", "      name: ''", "the image name", 14),
        ("      repository: ghcr.io/example/guestbook\n", "", "the image repository", 14),
        ("requireDigest: false", "requireDigest: maybe", "requireDigest must be true or false", 16),
        ("requireDigest: false", "requireDigest: false\n      tag: x", "image key 'tag'", 17),
        ("requireDigest: false", "requireDigest: false\n      builtBy: me", "builtBy must be", 17),
        ("requireDigest: false", BUILT_BY + "        branch: main", "builtBy key 'branch'", 19),
        ("requireDigest: false", BUILT_BY.replace("o/r", "o"), "GitHub owner/name", 18),
        ("requireDigest: false", BUILT_BY + "        workflow: image.yml", "path like", 19),
        ("requireDigest: false", BUILT_BY + "        ref: main", "a full git ref", 19),
        (BACKUP, "    backup: s3://bucket\n", "backup must be a mapping", 17),
        ("      prefix:", "      retention: 7\n      prefix:", "backup key 'retention'", 20),
        ("https://s3.example.com", "http://s3.example.com", "must be an https:// URL", 18),
        ("      endpoint: https://s3.example.com\n", "", "the storage's URL", 18),
        ("bucket: guestbook-backups", "bucket: Guestbook_Backups", "not a valid S3 bucket", 19),
        ("prefix: guestbook-dev/", "prefix: guestbook-dev", "must end with /", 20),
        ("prefix: guestbook-dev/", "prefix: /guestbook-dev/", "not start with one", 20),
    ],
)
def test_bad_facts_name_file_and_line(
    facts_repo: Layout, old: str, new: str, message: str, line: int
) -> None:
    _edit_dev_facts(facts_repo, old, new)
    with pytest.raises(ConfigError) as caught:
        load_environment(facts_repo, "dev")
    assert message in caught.value.message
    assert (caught.value.path, caught.value.line) == (DEV_FACTS, line)
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"{DEV_FACTS}:{line}: ")


def test_an_unknown_app_names_the_apps_there_are(facts_repo: Layout) -> None:
    _edit_dev_facts(facts_repo, "  guestbook:\n", "  shop:\n    namespace: shop\n  guestbook:\n")
    with pytest.raises(ConfigError) as caught:
        load_environment(facts_repo, "dev")
    assert caught.value.message == (
        "apps.shop: there is no app 'shop' (apps/: guestbook, infrastructure)"
    )


def test_facts_that_are_not_a_mapping_are_refused_at_line_1(facts_repo: Layout) -> None:
    facts_repo.facts_file("dev").write_text("- kubernetesVersion: '1.34'\n")
    with pytest.raises(ConfigError, match="must be a mapping") as caught:
        load_environment(facts_repo, "dev")
    assert (caught.value.path, caught.value.line) == (DEV_FACTS, 1)


def test_yaml_syntax_error_has_a_line(facts_repo: Layout) -> None:
    facts_repo.facts_file("dev").write_text('kubernetesVersion: "1.34"\napps: [unclosed\nx: y\n')
    with pytest.raises(ConfigError, match="not valid YAML") as caught:
        load_environment(facts_repo, "dev")
    assert caught.value.path == DEV_FACTS
    assert caught.value.line is not None


def test_the_builder_of_an_image_defaults_to_image_yml_on_main(facts_repo: Layout) -> None:
    """builtBy names the workflow whose signed provenance promote requires (its line, for
    messages); only the repository is required."""
    _edit_dev_facts(facts_repo, "requireDigest: false\n", BUILT_BY)
    image = load_environment(facts_repo, "dev").apps["guestbook"].image
    assert image is not None
    assert image.built_by == BuilderFacts(
        "o/r", ".github/workflows/image.yml", "refs/heads/main", line=17
    )
    _edit_dev_facts(
        facts_repo,
        "repository: o/r\n",
        "repository: o/r\n        workflow: .github/workflows/build.yaml\n"
        "        ref: refs/tags/v1\n",
    )
    image = load_environment(facts_repo, "dev").apps["guestbook"].image
    assert image is not None and image.built_by is not None
    assert (image.built_by.workflow, image.built_by.ref) == (
        ".github/workflows/build.yaml",
        "refs/tags/v1",
    )
