"""The rules that decide whether a finding may name a source file instead of the rendered one
(`gitops.validation.origins`), on documents loaded from text: no kustomize needed."""

from __future__ import annotations

from gitops.validation.loader import load_text
from gitops.validation.model import Finding, Location, Manifest
from gitops.validation.origins import (
    Located,
    Origins,
    about_objects,
    attribute,
    pair_documents,
    same,
    source_line,
)

SOURCE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      securityContext:
        runAsUser: 10001
      containers:
        - name: web
          image: guestbook
          securityContext:
            readOnlyRootFilesystem: true
"""
RENDERED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: guestbook-dev
spec:
  replicas: 2
  template:
    spec:
      containers:
        - image: ghcr.io/example/guestbook:1.0.0
          name: web
          securityContext:
            readOnlyRootFilesystem: true
      securityContext:
        runAsUser: 10001
"""
CONTAINERS = ("spec", "template", "spec", "containers")


def manifest(text: str, path: str = "x.yaml") -> Manifest:
    (found,) = load_text(text, path).manifests
    return found


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_field_with_the_same_value_names_its_source_line() -> None:
    source, rendered = manifest(SOURCE), manifest(RENDERED)
    path = ("spec", "template", "spec", "securityContext", "runAsUser")
    assert source_line(source, rendered, path) == line_of(SOURCE, "runAsUser")
    path = (*CONTAINERS, 0, "securityContext", "readOnlyRootFilesystem")
    assert source_line(source, rendered, path) == line_of(SOURCE, "readOnlyRootFilesystem")


def test_a_field_the_build_changed_or_added_has_no_source_line() -> None:
    source, rendered = manifest(SOURCE), manifest(RENDERED)
    assert source_line(source, rendered, (*CONTAINERS, 0, "image")) is None
    assert source_line(source, rendered, ("metadata", "namespace")) is None
    assert source_line(source, rendered, (*CONTAINERS, 0)) is None  # the container differs


def test_a_value_of_another_type_is_not_the_same_value() -> None:
    source = manifest(SOURCE.replace("replicas: 2", 'replicas: "2"'))
    assert source_line(source, manifest(RENDERED), ("spec", "replicas")) is None
    assert not same(True, 1) and not same(1, 1.0) and not same("1", 1)
    assert same({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]})
    assert not same({"a": [1, True]}, {"a": [1, 1]})


def test_a_missing_field_names_its_nearest_parent_when_that_parent_is_the_same() -> None:
    source, rendered = manifest(SOURCE), manifest(RENDERED)
    path = (*CONTAINERS, 0, "securityContext", "allowPrivilegeEscalation")
    assert source_line(source, rendered, path) == line_of(SOURCE, "          securityContext:")
    path = ("spec", "template", "spec", "securityContext", "runAsNonRoot")
    assert source_line(source, rendered, path) == line_of(SOURCE, "      securityContext:")
    # the parent is the container, whose image the build rewrote: not certain
    assert source_line(source, rendered, (*CONTAINERS, 0, "readinessProbe")) is None


def test_a_missing_field_whose_parent_changed_has_no_source_line() -> None:
    """A patch replaced the container's securityContext with one that also lacks the field."""
    source = manifest(SOURCE)
    rendered = manifest(RENDERED.replace("readOnlyRootFilesystem: true", "privileged: false"))
    path = (*CONTAINERS, 0, "securityContext", "allowPrivilegeEscalation")
    assert source_line(source, rendered, path) is None


def test_an_inserted_or_reordered_list_item_is_not_mistaken_for_the_source_one() -> None:
    """containers/0 must be the same container in the source and in the render: a sidecar that a
    patch inserts or moves first (with the same securityContext as `web`) is not `web`."""
    sidecar = (
        "        - name: sidecar\n          image: guestbook\n"
        "          securityContext:\n            readOnlyRootFilesystem: true\n"
    )
    web = SOURCE[SOURCE.index("        - name: web") :]
    head = SOURCE[: SOURCE.index("        - name: web")]
    flag = ("securityContext", "readOnlyRootFilesystem")
    two = head + web + sidecar
    last = len(two.splitlines())  # the sidecar's readOnlyRootFilesystem
    assert source_line(manifest(two), manifest(two), (*CONTAINERS, 1, *flag)) == last
    sidecar_first = manifest(head + sidecar + web)
    assert source_line(manifest(SOURCE), sidecar_first, (*CONTAINERS, 0, *flag)) is None
    assert source_line(manifest(two), sidecar_first, (*CONTAINERS, 0, *flag)) is None


DOCUMENTS = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: host
  annotations:
    config.kubernetes.io/local-config: "true"
---
apiVersion: v1
kind: Service
metadata:
  name: web
"""
SA = ("v1", "ServiceAccount", "guestbook-dev", "web")
SERVICE = ("v1", "Service", "guestbook-dev", "web")


def test_documents_pair_with_the_objects_built_from_them_in_order() -> None:
    loaded = load_text(DOCUMENTS, "apps/base/web.yaml")
    pairs = pair_documents([SA, SERVICE], loaded)
    assert {key: (m.kind, m.name, m.line) for key, m in pairs.items()} == {
        SA: ("ServiceAccount", "web", 1),
        SERVICE: ("Service", "web", 13),
    }


def test_a_file_that_does_not_line_up_pairs_nothing() -> None:
    loaded = load_text(DOCUMENTS, "apps/base/web.yaml")
    assert pair_documents([SA], loaded) == {}  # a document deleted by a patch
    assert pair_documents([SERVICE, SA], loaded) == {}  # another order
    renamed = ("v1", "Service", "guestbook-dev", "x-web")
    assert pair_documents([SA, renamed], loaded) == {}  # a prefix
    assert pair_documents([SA, SERVICE, SERVICE], loaded) == {}  # the file reached twice
    broken = load_text(DOCUMENTS + "---\n- a list\n", "apps/base/web.yaml")
    assert pair_documents([SA, SERVICE], broken) == {}  # the loader had something to say


def test_local_config_documents_are_left_out_as_kustomize_drops_them() -> None:
    kept = DOCUMENTS.replace('local-config: "true"', 'local-config: "false"')
    host = ("v1", "ConfigMap", "guestbook-dev", "host")
    assert set(pair_documents([SA, host, SERVICE], load_text(kept))) == {SA, host, SERVICE}
    dropped = DOCUMENTS.replace('local-config: "true"', 'local-config: "1"')
    assert set(pair_documents([SA, SERVICE], load_text(dropped))) == {SA, SERVICE}


def test_attribute_moves_a_finding_and_keeps_the_rendered_location() -> None:
    source = manifest(SOURCE, "apps/base/web.yaml")
    rendered = manifest(RENDERED, "clusters/dev/deployment-web.yaml")
    path = ("spec", "template", "spec", "securityContext", "runAsUser")
    found = Finding(rendered.path, rendered.line_of(path), "error", "GB401", rendered.ref, "m")
    image = (*CONTAINERS, 0, "image")
    other = Finding(rendered.path, rendered.line_of(image), "error", "GB414", rendered.ref, "m")
    origins = Origins({("apps/v1", "Deployment", "guestbook-dev", "web"): source})
    moved, kept = attribute(
        [Located(found, rendered, path), Located(other, rendered, image)], origins
    )
    assert (moved.path, moved.line) == ("apps/base/web.yaml", line_of(SOURCE, "runAsUser"))
    assert moved.rendered == Location("clusters/dev/deployment-web.yaml", found.line)
    assert moved.format().endswith(f": m (rendered: clusters/dev/deployment-web.yaml:{found.line})")
    assert kept == other and kept.rendered is None


def test_only_findings_about_objects_call_for_the_origin_build() -> None:
    facts_file = "apps/overlays/dev/environment.yaml"
    facts = Finding(facts_file, 3, "error", "GB416", "environment/dev", "m")
    rendered = manifest(RENDERED, "clusters/dev/deployment-web.yaml")
    assert not about_objects([Located(facts, None, ("secrets",))])
    assert about_objects([Located(facts, None, ()), Located(facts, rendered, ("spec",))])
    assert attribute([Located(facts, None, ("secrets",))], Origins()) == [facts]
