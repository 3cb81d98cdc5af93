"""The engine's own rules: documents (GB0xx), schema (GB1xx; GB105 the CRDs' CEL rules) and the
repository (GB5xx).

They are implemented by the engine (the loader, the schema step, the render and bootstrap checks)
because they look at files and schemas rather than at one object; they are registered here so that
`--list-rules`, SARIF and suppressions know them like every other rule.
"""

from __future__ import annotations

from gitops.validation.registry import Rule, register


def _engine_rule(rule_id: str, name: str, severity: str, summary: str, remediation: str) -> None:
    register(
        Rule(
            id=rule_id,
            name=name,
            severity="error" if severity == "error" else "warning",
            scope="engine",
            summary=summary,
            remediation=remediation,
        )
    )


_engine_rule(
    "GB001",
    "yaml-syntax",
    "error",
    "The file is not valid YAML (or not UTF-8): nothing after the error can be read.",
    "Fix the syntax at the line given (indentation with spaces, quotes, ':' followed by a space).",
)
_engine_rule(
    "GB002",
    "duplicate-key",
    "error",
    "A mapping has the same key twice; kubectl refuses it, other tools silently keep one value.",
    "Remove one of the two keys (merge their values if both are needed).",
)
_engine_rule(
    "GB003",
    "not-a-kubernetes-object",
    "error",
    "A document is not a mapping with apiVersion and kind, so no cluster can apply it.",
    "Add apiVersion and kind, or move the document out of the manifests.",
)
_engine_rule(
    "GB004",
    "invalid-suppression",
    "error",
    "An ignore-check.gitops/<rule> annotation has no reason, or names a rule that does not exist.",
    'Give the reason as the value (ignore-check.gitops/GB401: "why this is safe") and a real id.',
)
_engine_rule(
    "GB101",
    "schema",
    "error",
    "A field breaks the Kubernetes (or CRD) schema: unknown field, wrong type, missing field.",
    "Fix the field at the line given; unknown fields are usually typos (see the suggestion).",
)
_engine_rule(
    "GB102",
    "removed-api-version",
    "error",
    "The apiVersion was removed from the environment's Kubernetes version.",
    "Move to the replacement apiVersion the message names (see the deprecation guide's notes).",
)
_engine_rule(
    "GB103",
    "unknown-kind",
    "error",
    "No schema for this apiVersion and kind: not built in, no CRD in the set, not declared.",
    "Fix the apiVersion/kind, render the CRD with the manifests, or declare the kind in the "
    "environment's customResources.",
)
_engine_rule(
    "GB104",
    "deprecated-api-version",
    "warning",
    "The apiVersion still works on this Kubernetes version but a later one removes it.",
    "Move to the replacement apiVersion before upgrading the cluster.",
)
_engine_rule(
    "GB105",
    "crd-validation-rule",
    "error",
    "A custom resource breaks a CEL rule (x-kubernetes-validations) of its CRD: the API server "
    "refuses it with the CRD's own message (filter combinations of a Gateway API route, Flux's "
    "either-or fields).",
    "Change the field the message names as it asks; `validate --cel-report` lists the rules "
    "that are checked and those that cannot be (transition rules, unsupported functions).",
)
_engine_rule(
    "GB501",
    "render-out-of-sync",
    "error",
    "A file under clusters/ differs from a fresh render: added, changed or removed.",
    "Run `nox -s render` and commit the result; never edit clusters/ by hand.",
)
_engine_rule(
    "GB502",
    "bootstrap-path-missing",
    "error",
    "An Argo CD Application or Flux Kustomization under bootstrap/ points at a path that does "
    "not exist in the repository.",
    "Point spec.source.path / spec.path at an existing folder, e.g. clusters/<env>.",
)
_engine_rule(
    "GB503",
    "render-failed",
    "error",
    "An environment's overlay does not render (kustomize failed), so nothing of it can be checked.",
    "Fix the overlay at the place kustomize names; `nox -s render` shows the same error.",
)
_engine_rule(
    "GB504",
    "applied-too-early",
    "error",
    "An object needs what only a layer applied later provides (its kind's CRD, its namespace, a "
    "Secret or its keys, its route's Gateway, its certificate's issuer), in the order bootstrap/ "
    "gives a controller; or an entry point's order contradicts apps/layers.yaml.",
    "Provide it in an earlier layer or move the object to a later one (its component label, "
    "apps/layers.yaml); make dependsOn / sync waves follow `order`.",
)
_engine_rule(
    "GB505",
    "unrestricted-controller",
    "error",
    "An Argo CD Application under bootstrap/ or clusters/ names the `default` project (which "
    "allows everything) or one no AppProject of its cluster defines; or a Flux Kustomization "
    "that applies only namespaced objects (an app layer) has no serviceAccountName, so it applies "
    "with the controller's cluster-wide rights.",
    "Name the environment's AppProject (bootstrap/argocd/<env>/projects.yaml); set "
    "spec.serviceAccountName to an account bound to a Role in the layer's namespace.",
)
