"""Read CustomResourceDefinition objects and keep what validation needs from each version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitops.errors import ConfigError

CRD_API_VERSIONS = ("apiextensions.k8s.io/v1",)
_ANNOTATIONS = ("description", "example", "externalDocs")
_RULE_EXTRAS = ("messageExpression", "fieldPath", "reason", "optionalOldSelf")


@dataclass(frozen=True)
class VersionSchema:
    name: str
    served: bool
    storage: bool
    schema: dict[str, Any]
    cel_rules: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class KindSchemas:
    """One CRD reduced to its group, kind, scope and the schema of each version."""

    group: str
    kind: str
    plural: str
    scope: str
    versions: tuple[VersionSchema, ...] = field(default_factory=tuple)

    @property
    def namespaced(self) -> bool:
        return self.scope == "Namespaced"

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "kind": self.kind,
            "plural": self.plural,
            "scope": self.scope,
            "versions": [
                {
                    "name": v.name,
                    "served": v.served,
                    "storage": v.storage,
                    "schema": v.schema,
                    "celRules": list(v.cel_rules),
                }
                for v in self.versions
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KindSchemas:
        versions = tuple(
            VersionSchema(
                name=v["name"],
                served=bool(v["served"]),
                storage=bool(v["storage"]),
                schema=v["schema"],
                cel_rules=tuple(v.get("celRules", ())),
            )
            for v in data["versions"]
        )
        return cls(data["group"], data["kind"], data["plural"], data["scope"], versions)


def is_crd(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("kind") == "CustomResourceDefinition"
        and doc.get("apiVersion") in CRD_API_VERSIONS
    )


def kind_schemas(crd: dict[str, Any], where: str = "") -> KindSchemas:
    """Reduce one CRD; raise ConfigError naming the CRD when it lacks what validation needs."""
    spec = _mapping(crd.get("spec"))
    names = _mapping(spec.get("names"))
    label = (crd.get("metadata") or {}).get("name") or "?"
    group, kind = spec.get("group"), names.get("kind")
    if not isinstance(group, str) or not isinstance(kind, str) or not group or not kind:
        raise ConfigError(
            f"CustomResourceDefinition {label}: spec.group and spec.names.kind are required",
            path=where or None,
        )
    scope = spec.get("scope", "Namespaced")
    if scope not in ("Namespaced", "Cluster"):
        raise ConfigError(
            f"CustomResourceDefinition {label}: spec.scope {scope!r} is not Namespaced or Cluster",
            path=where or None,
        )
    versions = []
    for entry in spec.get("versions") or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        schema = (
            ((entry.get("schema") or {}).get("openAPIV3Schema"))
            if isinstance(entry, dict)
            else None
        )
        if not isinstance(name, str) or not isinstance(schema, dict):
            raise ConfigError(
                f"CustomResourceDefinition {label}: version {name or '?'} "
                "has no schema.openAPIV3Schema",
                path=where or None,
            )
        rules: list[dict[str, str]] = []
        versions.append(
            VersionSchema(
                name=name,
                served=bool(entry.get("served", False)),
                storage=bool(entry.get("storage", False)),
                schema=strip_annotations(schema, rules, "."),
                cel_rules=tuple(rules),
            )
        )
    if not versions:
        raise ConfigError(
            f"CustomResourceDefinition {label}: spec.versions is empty", path=where or None
        )
    plural = names.get("plural") or kind.lower() + "s"
    return KindSchemas(group, kind, plural, scope, tuple(versions))


def strip_annotations(node: Any, rules: list[dict[str, str]], path: str) -> Any:
    """Drop descriptions and examples (no effect on validity); collect CEL rules with their path.

    Only schema keywords are dropped: a *property* called `description` stays.
    """
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key == "x-kubernetes-validations" and isinstance(value, list):
            rules.extend(cel_rule(path, r) for r in value if isinstance(r, dict))
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: strip_annotations(sub, rules, f"{path.rstrip('.')}.{name}")
                for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            suffix = "[*]" if key == "items" else ".*" if key == "additionalProperties" else ""
            out[key] = strip_annotations(value, rules, path.rstrip(".") + suffix or ".")
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [strip_annotations(sub, rules, path) for sub in value]
        else:
            out[key] = value
    return out


def cel_rule(path: str, rule: dict[str, Any]) -> dict[str, str]:
    """One `x-kubernetes-validations` entry: path, rule and message, plus messageExpression,
    fieldPath and reason when the CRD gives them (absent keys keep the stored bytes unchanged)."""
    out = {"path": path, "rule": str(rule.get("rule", "")), "message": str(rule.get("message", ""))}
    for optional in _RULE_EXTRAS:
        value = rule.get(optional)
        if value:
            out[optional] = "true" if value is True else str(value)
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
