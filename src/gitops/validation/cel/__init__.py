"""CRD validation rules (`x-kubernetes-validations`, CEL) evaluated as the API server does: GB105.

Gateway API expresses most of its validation in CEL (which filters go together, what a path match
may hold, unique listener names), and Flux, cert-manager and Envoy Gateway some of theirs; a
schema check without them lets such objects through until the cluster refuses them. The schema
step (`gitops.validation.schema.check`) calls `check` for every custom resource whose CRD is
vendored (`gitops.validation.crds`) or rendered in the same set, with that CRD version's rules as
`crds.extract` keeps them (path, rule, message, messageExpression, fieldPath, reason).
The rule id is in the schema family (GB1xx, the engine's schema step): `x-kubernetes-validations`
are part of a CRD's schema, and the API server refuses them in the same validation pass.

- `program`: the CEL environment, compiling each rule once, the rule tree of a CRD version;
- `values`: an object as CEL sees it (schema types, defaults, pruning, escaped field names);
- `evaluate`: where each rule runs, findings and their messages, what could not be evaluated;
- `report`: `validate --cel-report`, and the line `--list-rules` adds on stderr.

The library is cel-expr-python (Google's Python wrapper of cel-cpp, the CEL reference
implementation in C++), chosen over the two other maintained CEL libraries on PyPI after running
the vendored CRDs' 248 distinct rules through each (compile, then evaluate on real objects):
- speed: a real HTTPRoute's 62 rule evaluations take 0.5 ms with cel-expr-python, 1.2 ms with
  common-expression-language (Rust's cel crate, via PyO3) and 40 ms with cel-python (celpy, pure
  Python: 80 times slower, too slow for a gate on every commit);
- completeness: it has the strings extension Kubernetes enables (`lowerAscii`, `upperAscii`,
  `split` are used by the vendored rules; common-expression-language and celpy have neither),
  optional types, RE2 regular expressions as Kubernetes' Go `regexp` (celpy uses Python's `re`),
  Go-style `duration("1h30m")`, heterogeneous numeric comparison, and unknown functions are
  compile errors, so an unsupported rule is known before it runs;
- upkeep: maintained by the CEL team in the cel-expr organisation next to cel-go and cel-cpp,
  binary wheels for Linux, macOS and Windows, no runtime dependency (protobuf only for schemas
  with date, date-time or duration formats, `wellknown`).
"""

from __future__ import annotations

from gitops.validation.cel.evaluate import RULE_ID, STATS, Stats, check, reset

__all__ = ["RULE_ID", "STATS", "Stats", "check", "reset"]
