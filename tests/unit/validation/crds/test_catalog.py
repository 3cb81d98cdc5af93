"""The bundled CRD catalog against real manifests of the projects it covers.

tests/fixtures/validate-crds/catalog/good/ holds upstream examples and samples, each unchanged
below a header naming its source file at a commit; they must give no GB1xx finding through the
whole validator (no GB103: the catalog knows their kinds; no GB101: the real manifest fits the
schema of the pinned release). catalog/bad/ holds broken copies of some of them: each must give
exactly the findings its `# expect:` comments name, on those lines (as the validate corpus).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitops.validation import crds
from gitops.validation.crds import __main__ as report
from gitops.validation.crds import store
from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts

FIXTURES = Path(__file__).parents[3] / "fixtures" / "validate-crds" / "catalog"
GOOD = sorted((FIXTURES / "good").glob("*.yaml"))  # at import: the files parametrize the tests
BAD = sorted((FIXTURES / "bad").glob("*.yaml"))
_SOURCE = re.compile(
    r"^# source: https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+\n# release: .+\n"
)
_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")


def schema_findings(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str]]:
    monkeypatch.chdir(path.parent)
    found = validate_paths([Path(path.name)], Facts())
    return [(f.rule, f.line, f.format()) for f in found if f.rule.startswith("GB1")]


def custom_resources(path: Path) -> list[dict]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return [d for d in docs if "." in str(d.get("apiVersion")).rpartition("/")[0]]


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_upstream_examples_are_accepted(path, monkeypatch):
    assert custom_resources(path), "an example of a custom resource"
    for doc in custom_resources(path):
        assert crds.crd_schema(doc["apiVersion"], doc["kind"]) is not None, doc["kind"]
    assert [line for _, _, line in schema_findings(path, monkeypatch)] == []


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_each_example_names_its_source_file_and_commit(path):
    assert _SOURCE.match(path.read_text()), "header: # source: <GitHub blob URL>, # release:"


def test_the_examples_cover_what_the_catalog_was_made_for():
    found = {(d["apiVersion"], d["kind"]) for p in GOOD for d in custom_resources(p)}
    kinds = {kind for _, kind in found}
    for kind in (
        "ServiceMonitor",
        "PrometheusRule",
        "ClusterPolicy",
        "ExternalSecret",
        "IPAddressPool",
        "Cluster",
        "ApplicationSet",
        "ArtifactGenerator",
        "Alert",
        "ImageUpdateAutomation",
        "ListenerSet",
    ):
        assert kind in kinds, kind
    # versions only Gateway API's experimental channel serves
    assert ("gateway.networking.k8s.io/v1alpha2", "TLSRoute") in found
    assert ("gateway.networking.k8s.io/v1alpha3", "TLSRoute") in found


def expected(text: str) -> list[tuple[str, int]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            found += [(rule, number) for rule in match.group(1).split()]
    return sorted(found)


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_broken_copies_get_the_schema_finding_on_the_line(path, monkeypatch):
    wanted = expected(path.read_text())
    assert wanted
    found = schema_findings(path, monkeypatch)
    assert sorted((rule, line) for rule, line, _ in found) == wanted, "\n".join(
        text for *_, text in found
    )
    assert (FIXTURES / "good" / path.name).is_file(), "a broken copy of a good example"


def test_the_catalog_holds_every_project_it_is_made_for():
    have = set(crds.known_kinds())
    for api_version, kind in [
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "ApplicationSet"),
        ("argoproj.io/v1alpha1", "AppProject"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"),
        ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
        ("source.toolkit.fluxcd.io/v1", "ExternalArtifact"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        ("notification.toolkit.fluxcd.io/v1beta3", "Alert"),
        ("notification.toolkit.fluxcd.io/v1beta3", "Provider"),
        ("notification.toolkit.fluxcd.io/v1", "Receiver"),
        ("image.toolkit.fluxcd.io/v1", "ImageRepository"),
        ("image.toolkit.fluxcd.io/v1", "ImagePolicy"),
        ("image.toolkit.fluxcd.io/v1", "ImageUpdateAutomation"),
        ("source.extensions.fluxcd.io/v1beta1", "ArtifactGenerator"),
        ("cert-manager.io/v1", "Certificate"),
        ("cert-manager.io/v1", "ClusterIssuer"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("gateway.networking.k8s.io/v1", "TCPRoute"),
        ("gateway.networking.k8s.io/v1alpha2", "TCPRoute"),
        ("gateway.networking.k8s.io/v1alpha2", "UDPRoute"),
        ("gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy"),
        ("gateway.networking.x-k8s.io/v1alpha1", "XBackendTrafficPolicy"),
        ("gateway.envoyproxy.io/v1alpha1", "SecurityPolicy"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig"),
        ("bitnami.com/v1alpha1", "SealedSecret"),
        ("external-secrets.io/v1", "ClusterSecretStore"),
        ("generators.external-secrets.io/v1alpha1", "Password"),
        ("metallb.io/v1beta2", "BGPPeer"),
        ("kyverno.io/v1", "ClusterPolicy"),
        ("policies.kyverno.io/v1", "ValidatingPolicy"),
        ("postgresql.cnpg.io/v1", "Cluster"),
        ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ]:
        assert (api_version, kind) in have, f"{api_version} {kind}"


def test_a_version_both_gateway_channels_serve_keeps_the_standard_schema():
    """ExternalAuth filters are experimental-only: a standard-channel cluster prunes them."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "rules": [
                {
                    "filters": [
                        {
                            "type": "ExternalAuth",
                            "externalAuth": {"protocol": "HTTP", "backendRef": {"name": "auth"}},
                        }
                    ]
                }
            ]
        },
    }
    import jsonschema

    schema = crds.crd_schema(route["apiVersion"], route["kind"])
    messages = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(route)]
    assert any("'externalAuth' was unexpected" in m for m in messages), messages


SERVICE_MONITOR_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names: {kind: ServiceMonitor, plural: servicemonitors}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                team: {type: string}
---
"""
SERVICE_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: demo}
spec:
  team: frontend
"""


def test_a_crd_among_the_manifests_wins_over_the_catalog(tmp_path, monkeypatch):
    """What the cluster serves is the CRD the repository installs, not the catalog's release."""
    monkeypatch.chdir(tmp_path)
    Path("own.yaml").write_text(SERVICE_MONITOR_CRD + SERVICE_MONITOR)
    Path("alone.yaml").write_text(SERVICE_MONITOR)
    assert [f for f in validate_paths([Path("own.yaml")], Facts()) if f.rule == "GB101"] == []
    alone = [f.message for f in validate_paths([Path("alone.yaml")], Facts()) if f.rule == "GB101"]
    assert any("unknown field 'team' in spec" in m for m in alone)  # the catalog's ServiceMonitor
    assert "required field 'selector' is missing in spec" in alone


def test_defaults_are_filled_in_before_the_check():
    """The server defaults, then validates: a required field with a default may be left out."""
    password = {
        "apiVersion": "generators.external-secrets.io/v1alpha1",
        "kind": "Password",
        "metadata": {"name": "p"},
        "spec": {"length": 32},
    }
    schema = crds.crd_schema(password["apiVersion"], password["kind"])
    assert {"allowRepeat", "noUpper"} <= set(schema["properties"]["spec"]["required"])
    filled = crds.with_defaults(schema, password)
    assert filled["spec"]["allowRepeat"] is False and filled["spec"]["noUpper"] is False
    assert "allowRepeat" not in password["spec"]  # the object itself is left as written


def test_a_kinds_schema_is_read_only_when_an_object_of_that_kind_is_checked(monkeypatch):
    reads: list[str] = []
    real = store.read_data
    monkeypatch.setattr(store, "read_data", lambda path: reads.append(path.name) or real(path))
    catalog = store.Catalog()
    assert "index" not in vars(catalog)  # nothing read when made
    assert catalog.kind("monitoring.coreos.com", "ServiceMonitor") is not None
    assert catalog.kind("monitoring.coreos.com", "ServiceMonitor") is not None
    assert reads == ["servicemonitors.json.gz"]  # once, and no other kind's file


STARTUP = """\
import sys
from pathlib import Path
from gitops.validation import crds
from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts
validate_paths([Path(sys.argv[1])], Facts())
print(int("index" in vars(crds._catalog)), len(crds._catalog._kinds))
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: d}\n", "0 0"),
        (SERVICE_MONITOR, "1 1"),
    ],
)
def test_start_up_does_not_pay_for_the_catalog(tmp_path, text, expected):
    """Built-in kinds only: neither the index nor any schema is read. One custom resource: the
    index and that kind's file."""
    manifest = tmp_path / "m.yaml"
    manifest.write_text(text)
    done = subprocess.run(
        [sys.executable, "-c", STARTUP, str(manifest)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(crds.__file__).parents[3])},
    )
    assert done.stdout.split() == expected.split()


def test_the_report_says_how_many_kinds_the_catalog_holds(capsys):
    index = json.loads((store.DEFAULT_DATA_DIR / store.INDEX).read_text())["kinds"]
    assert report.main([]) == 0
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert first.startswith(f"CRD catalog: {len(index)} kinds") and "offline and pinned" in first
    sources = yaml.safe_load((store.DEFAULT_DATA_DIR / store.SOURCES).read_text())
    for name, upstream in sources["upstreams"].items():
        assert upstream["commit"][:12] in text, name
    assert report.main(["--json", "--kinds"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kinds"] == len(index) == len({(k["group"], k["kind"]) for k in index})
    assert {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor"}.items() <= next(
        k for k in data["served"] if k["kind"] == "ServiceMonitor"
    ).items()
    assert sum(u["kinds"] for u in data["upstreams"]) == len(index)
