"""The cost of the CRDs' CEL rules (GB105): validating custom resources with and without them.

    python benchmarks/validate_cel.py [--routes 500]

Generates N Gateway API HTTPRoutes as a team writes them (a rewrite with a header filter, an exact
match, a catch-all; 93 rule evaluations each, on 16 nodes) and validates them in process, best of
five: once as `gitops validate` does (schema, CEL rules, every rule), once with the CEL step
switched off (what the validator did before it). Prints objects/s for both. `validate.py`'s
workload has no custom resources, so CEL costs it nothing; this is the figure for a repository
made of routes. A measurement, not a test: exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gitops.validation import cel
from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts
from gitops.validation.schema import check

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app-{i}
  namespace: bench
spec:
  parentRefs:
    - {{name: public, namespace: infra, sectionName: https}}
  hostnames: [app-{i}.example.com]
  rules:
    - matches:
        - path: {{type: PathPrefix, value: /api}}
          headers:
            - {{name: x-version, value: v{i}}}
      filters:
        - type: URLRewrite
          urlRewrite:
            path: {{type: ReplacePrefixMatch, replacePrefixMatch: /}}
        - type: RequestHeaderModifier
          requestHeaderModifier:
            add:
              - {{name: x-route, value: app-{i}}}
      backendRefs:
        - {{name: app-{i}-api, port: 8080}}
      timeouts: {{request: 10s, backendRequest: 5s}}
    - matches:
        - path: {{type: Exact, value: /healthz}}
      backendRefs:
        - {{name: app-{i}-web, port: 80}}
    - backendRefs:
        - {{name: app-{i}-web, port: 80, weight: 1}}
"""
PER_FILE = 50
RUNS = 5


def write_routes(folder: Path, count: int) -> None:
    for start in range(0, count, PER_FILE):
        docs = (ROUTE.format(i=i) for i in range(start, min(start + PER_FILE, count)))
        (folder / f"routes-{start // PER_FILE}.yaml").write_text("---\n".join(docs))


def best_seconds(folder: Path) -> tuple[float, int]:
    best, found = float("inf"), 0
    for _ in range(RUNS):
        started = time.perf_counter()
        found = len(validate_paths([folder], Facts()))
        best = min(best, time.perf_counter() - started)
    return best, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, default=500, help="HTTPRoutes to validate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_routes(folder, args.routes)
        cel.reset()
        with_cel, findings = best_seconds(folder)
        evaluations = cel.STATS.evaluations // RUNS
        real_check = check.cel.check
        check.cel.check = lambda *_args, **_kwargs: []  # type: ignore[assignment]
        try:
            without, _ = best_seconds(folder)
        finally:
            check.cel.check = real_check  # type: ignore[assignment]
    print(f"{args.routes} HTTPRoutes, {evaluations:,} CEL rule evaluations, {findings} findings")
    print(f"  with the CEL rules:    {args.routes / with_cel:,.0f} objects/s ({with_cel:.3f} s)")
    print(f"  without (schema only): {args.routes / without:,.0f} objects/s ({without:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
