"""The schema step: strict built-in schemas per Kubernetes version, custom resources, removed and
unknown APIs, and messages that say what to write."""

from __future__ import annotations

from gitops.validation.loader import load_text
from gitops.validation.model import Facts
from gitops.validation.schema.check import SchemaCheck

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
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
                size: {type: integer}
"""


def check(text: str, **facts: object) -> list[tuple[str, int, str]]:
    manifests, findings = load_text(text)
    assert findings == []
    checker = SchemaCheck(Facts(**facts), manifests)  # type: ignore[arg-type]
    return [
        (rule, m.line_of(issue.path), issue.message)
        for m in manifests
        for rule, issue in checker.check(m)
    ]


def test_a_valid_object_has_no_finding() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n"
    assert check(text) == []


def test_unknown_field_points_at_its_line_and_suggests_the_real_one() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  prots: [{port: 80}]\n"
    assert check(text) == [("GB101", 5, "unknown field 'prots' in spec: did you mean 'ports'?")]


def test_every_error_of_an_object_is_reported() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {v: 1.10}}\nspec:\n"
        "  containers:\n    - image: x\n      ports: [{containerPort: '80'}]\n  restartPolicyy: x\n"
    )
    found = sorted(check(text))
    assert [(rule, line) for rule, line, _ in found] == [
        ("GB101", 3),
        ("GB101", 6),
        ("GB101", 7),
        ("GB101", 8),
    ]
    messages = " | ".join(message for _, _, message in found)
    assert "metadata.labels.v: expected a string, got the number 1.1; quote the value" in messages
    assert "required field 'name' is missing in spec.containers[0]" in messages
    assert "containerPort: expected an integer, got the string '80'; remove the quotes" in messages


def test_null_means_not_set() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, annotations: null}\nspec:\n"
        "  selector: {matchLabels: {a: b}}\n  strategy: {rollingUpdate: {maxSurge: null}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n"
        "    spec: {containers: [{name: c, image: x}]}\n"
    )
    assert check(text) == []


def test_removed_api_names_the_replacement() -> None:
    text = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n"
    ((rule, line, message),) = check(text)
    assert (rule, line) == ("GB102", 1)
    assert "removed in Kubernetes 1.16" in message
    assert "use apiVersion: apps/v1" in message


def test_a_replacement_the_target_does_not_serve_is_replaced_by_what_it_serves() -> None:
    text = (
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta1\nkind: FlowSchema\nmetadata: {name: f}\n"
    )
    ((rule, _, message),) = check(text, kubernetes_version="1.33")
    assert rule == "GB102"
    assert "use apiVersion: flowcontrol.apiserver.k8s.io/v1 " in message  # not v1beta2


def test_deprecated_api_warns_before_its_removal() -> None:
    text = (
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n"
        "spec:\n  scaleTargetRef: {kind: Deployment, name: d}\n  maxReplicas: 3\n"
    )
    ((rule, line, message),) = check(text, kubernetes_version="1.25")
    assert (rule, line) == ("GB104", 1)
    assert "no longer served from Kubernetes 1.26" in message
    assert check(text.replace("v2beta2", "v2"), kubernetes_version="1.25") == []


def test_unknown_kind_and_unknown_version_get_suggestions() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: a}\n---\n"
        "apiVersion: networking.k8s.io/v2\nkind: Ingress\nmetadata: {name: b}\n"
    )
    found = check(text)
    assert [(rule, line) for rule, line, _ in found] == [("GB103", 2), ("GB103", 6)]
    assert "did you mean 'Deployment' with apiVersion: apps/v1?" in found[0][2]
    assert "use apiVersion: networking.k8s.io/v1" in found[1][2]


def test_a_declared_custom_resource_is_accepted_unchecked() -> None:
    text = "apiVersion: acme.io/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {anything: 1}\n"
    assert [rule for rule, _, _ in check(text)] == ["GB103"]
    assert check(text, custom_resources=("acme.io/v1/Gadget",)) == []


def test_custom_resources_are_checked_against_their_crd_in_the_set() -> None:
    good = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n"
    bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big}\n"
    assert check(f"{WIDGET_CRD}---\n{good}") == []
    found = check(f"{WIDGET_CRD}---\n{bad}")
    assert [(rule, line) for rule, line, _ in found] == [("GB101", 24)]
    assert "spec.size: expected an integer, got the string 'big'" in found[0][2]


def test_custom_resource_metadata_is_checked_as_object_meta() -> None:
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, lables: {}}\n"
    found = check(f"{WIDGET_CRD}---\n{text}")
    assert [(rule, line) for rule, line, _ in found] == [("GB101", 23)]
    assert "did you mean 'labels'?" in found[0][2]


def test_vendored_argo_cd_application_is_checked() -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
        "  project: default\n  destination: {server: https://kubernetes.default.svc}\n"
        "  source: {repoURL: https://example.com/r.git, pth: clusters/dev}\n"
    )
    found = check(text)
    assert [(rule, line) for rule, line, _ in found] == [("GB101", 7)]
    assert "unknown field 'pth' in spec.source: did you mean 'path'?" in found[0][2]


def test_a_field_one_level_too_high_says_where_it_belongs() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  image: x\n"
        "  containers: [{name: c, image: x}]\n"
    )
    assert check(text) == [
        (
            "GB101",
            5,
            "unknown field 'image' in spec: it belongs under spec.containers or "
            "spec.ephemeralContainers or spec.initContainers",
        )
    ]
