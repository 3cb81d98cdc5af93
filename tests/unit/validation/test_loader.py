"""The loader: each field gets its line; YAML problems become GB001-GB003 findings, not errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from gitops.validation.loader import NO_OBJECT, field_lines, load_bytes, load_file, load_text
from gitops.validation.registry import all_rules

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the parser the loader uses

DEPLOYMENT = """\
# a comment first
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  template:
    spec:
      containers:
        - name: web
          image: "x:1"
          args:
            - --port
            - "8000"
"""


def rules_and_lines(text: str) -> list[tuple[str, int]]:
    return sorted((f.rule, f.line) for f in load_text(text).findings)


def test_every_field_and_list_item_has_its_line() -> None:
    (manifest,), findings = load_text(DEPLOYMENT, "d.yaml")
    assert findings == []
    assert manifest.line == 2  # the document starts at its first key, after the comment
    assert manifest.lines[("metadata", "labels", "app")] == 6
    containers = ("spec", "template", "spec", "containers")
    assert manifest.lines[(*containers, 0)] == 11
    assert manifest.lines[(*containers, 0, "image")] == 12
    assert manifest.lines[(*containers, 0, "args", 1)] == 15
    assert manifest.line_of((*containers, 0, "resources", "limits")) == 11  # nearest parent
    assert manifest.path == "d.yaml"
    assert manifest.obj["spec"]["template"]["spec"]["containers"][0]["args"] == ["--port", "8000"]


def test_yaml_1_1_scalars_keep_pyyaml_meaning_and_dates_stay_text() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
        "  a: on\n  b: 0755\n  c: 1.10\n  d: 2024-01-31\n  e: ~\n  f: '0755'\n  g: 0x1f\n"
        "  h: 1_000\n  i: .inf\n  yes: key\n"
    )
    (manifest,), _ = load_text(text)
    assert manifest.obj["data"] == {
        "a": True,
        "b": 493,
        "c": 1.1,
        "d": "2024-01-31",
        "e": None,
        "f": "0755",
        "g": 31,
        "h": 1000,
        "i": float("inf"),
        "true": "key",  # a boolean key becomes the JSON key the API server would see
    }


def test_merge_keys_and_aliases() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: &l {a: '1', b: '2'}\n"
        "  annotations:\n    <<: *l\n    b: own\n"
    )
    (manifest,), findings = load_text(text)
    assert findings == []
    assert manifest.metadata["annotations"] == {"a": "1", "b": "own"}


def test_duplicate_keys_are_reported_at_the_second_key() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\ndata: {}\n"
    (manifest,), findings = load_text(text)
    assert [(f.rule, f.line, f.object) for f in findings] == [("GB002", 5, "ConfigMap/y")]
    assert "'name' appears twice in metadata" in findings[0].message
    assert manifest.name == "y"  # PyYAML's semantics: the last one wins


def test_no_duplicate_finding_for_a_clean_document() -> None:
    assert rules_and_lines(DEPLOYMENT) == []


def test_syntax_error_is_a_finding_at_its_line_and_earlier_documents_survive() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [\n"
    manifests, findings = load_text(text)
    assert [m.name for m in manifests] == ["a"]
    assert [(f.rule, f.line) for f in findings] == [("GB001", 6)]
    assert findings[0].message.startswith("YAML syntax error")


def test_tabs_are_named() -> None:
    findings = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n").findings
    assert [(f.rule, f.line) for f in findings] == [("GB001", 4)]
    assert "tab" in findings[0].message


def test_documents_that_are_not_objects() -> None:
    text = (
        "- a\n---\nplain words\n---\nmetadata: {name: x}\n---\napiVersion: v1\nkind: 3\n"
        "---\n---\n# comment only\n"
    )
    assert rules_and_lines(text) == [("GB003", 1), ("GB003", 3), ("GB003", 5), ("GB003", 7)]


def test_kustomize_configuration_is_not_a_cluster_object() -> None:
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    assert load_text(text) == ([], [])


def test_not_utf8_names_the_line() -> None:
    findings = load_bytes(b"apiVersion: v1\nkind: ConfigMap\ndata: {a: \xff}\n", "x.yaml").findings
    assert [(f.rule, f.line, f.path) for f in findings] == [("GB001", 3, "x.yaml")]


def test_alias_bomb_is_refused_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    findings = load_text("\n".join(lines) + "\n").findings
    assert [f.rule for f in findings] == ["GB001"]
    assert "aliases" in findings[0].message


def test_unreadable_file(tmp_path: Path) -> None:
    findings = load_file(tmp_path / "missing.yaml", "missing.yaml").findings
    assert [(f.rule, f.path) for f in findings] == [("GB001", "missing.yaml")]


def _garbage(rng: random.Random) -> bytes:
    """A prefix of DEPLOYMENT with up to three bytes replaced by YAML's indicators (or 0xff)."""
    base = DEPLOYMENT.encode()
    data = bytearray(base[: rng.randrange(len(base))])
    for _ in range(rng.randrange(4)):
        if data:
            data[rng.randrange(len(data))] = rng.choice(b"{}[]:-&*!|>'\"\t\n #%@`\xff")
    return bytes(data)


def _parser_refuses(data: bytes) -> bool:
    try:
        list(yaml.compose_all(data.decode("utf-8-sig"), Loader=_PARSER))
    except (UnicodeDecodeError, yaml.YAMLError):
        return True
    return False


def _objects_pyyaml_reads(data: bytes) -> list[tuple[str, str]] | None:
    """(apiVersion, kind) of each document PyYAML reads as a Kubernetes object (None: it cannot
    read the stream)."""
    try:
        documents = list(yaml.load_all(data.decode("utf-8-sig"), Loader=_PARSER))
    except (UnicodeDecodeError, yaml.YAMLError):
        return None
    return [
        (doc["apiVersion"], doc["kind"])
        for doc in documents
        if isinstance(doc, dict)
        and all(isinstance(doc.get(key), str) and doc[key] for key in ("apiVersion", "kind"))
        and not doc["apiVersion"].startswith("kustomize.config.k8s.io/")
    ]


@pytest.mark.parametrize("seed", range(5))
def test_garbage_gives_findings_a_person_can_act_on_never_an_exception(seed: int) -> None:
    """On broken input the loader does not raise: it returns GB001-GB003 errors that name the file,
    a line of it (or the line after the last, where the stream ended), and no object or one it
    loaded; what the YAML parser refuses is always a GB001; every document PyYAML reads as an
    object is a manifest, each with apiVersion and kind and lines in the file; and the same bytes
    give the same result."""
    rng = random.Random(seed)
    rules = all_rules()
    for _ in range(200):
        data = _garbage(rng)
        loaded = load_bytes(data, "fuzz.yaml")
        last_line = len(data.splitlines())
        refs = {m.ref for m in loaded.manifests}
        for finding in loaded.findings:
            where = f"{data!r}: {finding.format()}"
            assert finding.rule in {"GB001", "GB002", "GB003"}, where
            assert finding.severity == rules[finding.rule].severity == "error", where
            assert finding.path == "fuzz.yaml", where
            assert 1 <= finding.line <= last_line + 1, where
            assert finding.object == NO_OBJECT or finding.object in refs, where
            assert finding.message, where
        if _parser_refuses(data):
            assert "GB001" in {f.rule for f in loaded.findings}, data
        objects = _objects_pyyaml_reads(data)
        if objects is not None:
            assert [(m.api_version, m.kind) for m in loaded.manifests] == objects, data
        for manifest in loaded.manifests:
            assert manifest.path == "fuzz.yaml"
            assert isinstance(manifest.obj["apiVersion"], str) and manifest.obj["apiVersion"]
            assert isinstance(manifest.obj["kind"], str) and manifest.obj["kind"]
            assert all(1 <= n <= last_line for n in (manifest.line, *manifest.lines.values()))
        assert load_bytes(data, "fuzz.yaml") == loaded, data


def test_field_lines_of_a_facts_file() -> None:
    lines = field_lines("kubernetesVersion: '1.33'\nrequiredKinds: [A]\nsecrets:\n  s: {}\n")
    assert lines[("requiredKinds",)] == 2
    assert lines[("secrets", "s")] == 4
    assert field_lines("a: [") == {}


# --- Lists: kubectl applies their items one by one --------------------------------------------

LIST = """\
apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
    namespace: one
  data: {k: v}
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleList
  items:
  - metadata: {name: reader, namespace: two}
    rules: []
- apiVersion: v1
  kind: Secret
  metadata:
    name: b
    name: c
- just a string
- metadata: {name: nameless}
"""


def test_list_items_are_objects_of_their_own_at_their_own_lines() -> None:
    (config_map, role, secret), findings = load_text(LIST, "l.yaml")
    assert (config_map.ref, config_map.line, config_map.path) == ("ConfigMap/one/a", 5, "l.yaml")
    assert config_map.lines[("metadata", "namespace")] == 9
    assert config_map.line_of(("data", "k")) == 10
    assert config_map.obj == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "one"},
        "data": {"k": "v"},
    }
    # an item without apiVersion and kind is named after its List, as kubectl's decoder does
    assert (role.api_version, role.kind, role.line) == ("rbac.authorization.k8s.io/v1", "Role", 14)
    assert role.lines[("rules",)] == 15
    assert (secret.ref, secret.line) == ("Secret/c", 16)
    assert sorted((f.rule, f.line, f.object) for f in findings) == [
        ("GB002", 20, "Secret/c"),  # the duplicate key is the item's, at its line
        ("GB003", 21, NO_OBJECT),  # not an object
        ("GB003", 22, NO_OBJECT),  # no kind: a v1 List's item is not named after it
    ]
    messages = {f.line: f.message for f in findings}
    assert messages[21].startswith("item 3 of the List is the value 'just a string'")
    assert messages[22].startswith("item 4 of the List has no kind")


def test_list_kinds_need_items_and_a_list_suffix() -> None:
    not_lists = (
        "apiVersion: v1\nkind: List\nmetadata: {name: x}\n",  # no items: an object (GB103 later)
        "apiVersion: v1\nkind: RoleList\nitems: {}\n",  # items not a list
        "apiVersion: example.com/v1\nkind: Playlist\nitems: []\n",  # "list", not "List"
    )
    for text in not_lists:
        (manifest,), _ = load_text(text)
        assert manifest.kind in {"List", "RoleList", "Playlist"}
    assert load_text("apiVersion: v1\nkind: List\nitems: []\n") == ([], [])


def test_a_duplicate_key_of_the_list_itself_has_no_object() -> None:
    text = "apiVersion: v1\nkind: List\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace}\n"
    manifests, findings = load_text(text)
    assert [m.kind for m in manifests] == ["Namespace"]
    assert [(f.rule, f.line, f.object) for f in findings] == [("GB002", 3, NO_OBJECT)]


def test_lists_from_kube_prometheus_and_the_kubernetes_docs(fixtures_dir: Path) -> None:
    """Real Lists (SOURCES.md in tests/fixtures/validate-partial): a RoleBindingList of three
    namespaces and a v1 List of ResourceQuotas."""
    folder = fixtures_dir / "validate-partial"
    loaded = load_file(folder / "kube-prometheus/prometheus-roleBindingSpecificNamespaces.yaml")
    assert loaded.findings == []
    assert [(m.ref, m.line) for m in loaded.manifests] == [
        ("RoleBinding/default/prometheus-k8s", 3),
        ("RoleBinding/kube-system/prometheus-k8s", 22),
        ("RoleBinding/monitoring/prometheus-k8s", 41),
    ]
    loaded = load_file(folder / "kubernetes-website/quota.yaml")
    assert [(m.ref, m.line) for m in loaded.manifests] == [
        ("ResourceQuota/pods-high", 4),
        ("ResourceQuota/pods-medium", 18),
        ("ResourceQuota/pods-low", 32),
    ]
