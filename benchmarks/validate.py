"""The validator's speed: objects per second with every rule on, and against kubernetes-validate.

    python benchmarks/validate.py [--objects 10000] [--compare 2000] [--cpu N] [--no-compare]

Generates a realistic set of applications (Deployment, Service, ConfigMap, Ingress,
NetworkPolicy, and a StatefulSet for every other one; pod security, probes and resources as a
careful team writes them), with a few errors sprinkled in (a typo'd field, a string where a number
goes, a removed apiVersion, a selector that matches nothing), and measures on one core:

1. the full validation (load + schema + every GB2xx-GB4xx rule) of N objects, in process:
   objects/s, best of three runs; target at least 5,000 objects/s;
2. on the same 2,000-object file, wall time of `kubernetes-validate --strict` (the CLI the
   project used before, one run: it takes tens of seconds) against `python -m gitops validate`
   (best of three), both as fresh processes, interpreter start included: the ratio; target at
   least 40x.

A measurement, not a test: it prints the figures and whether each target is met, and exits 0
whatever they are (2 when it cannot run at all).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts

KUBERNETES_VERSION = "1.33"
TARGET_OBJECTS_PER_SECOND = 5000
TARGET_RATIO = 40
ERROR_EVERY = 97  # one application in this many carries a mistake

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: bench
  labels: {{app.kubernetes.io/name: app-{i}, app.kubernetes.io/part-of: bench}}
spec:
  {replicas}
  revisionHistoryLimit: 5
  selector:
    matchLabels: {{app.kubernetes.io/name: app-{i}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: app-{i}, app.kubernetes.io/part-of: bench}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: web
          image: registry.example.com/team/app-{i}:1.{i}.0
          ports:
            - {{name: http, containerPort: 8080}}
          envFrom:
            - configMapRef: {{name: app-{i}-settings}}
          env:
            - name: POD_NAME
              valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          readinessProbe:
            httpGet: {{path: /readyz, port: http}}
            periodSeconds: 5
          livenessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
          volumeMounts:
            - {{name: tmp, mountPath: /tmp}}
      volumes:
        - name: tmp
          emptyDir: {{sizeLimit: 64Mi}}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: bench
  labels: {{app.kubernetes.io/name: app-{i}}}
spec:
  selector: {{app.kubernetes.io/name: {selector}}}
  ports:
    - {{name: http, port: 80, targetPort: http, protocol: TCP}}
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-settings
  namespace: bench
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "a,b,c"
  UPSTREAM_URL: http://app-{j}.bench.svc:80
"""

INGRESS = """\
apiVersion: {ingress_api}
kind: Ingress
metadata:
  name: app-{i}
  namespace: bench
spec:
  ingressClassName: nginx
  rules:
    - host: app-{i}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: app-{i}
                port: {{name: http}}
"""

NETWORK_POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: app-{i}
  namespace: bench
spec:
  podSelector:
    matchLabels: {{app.kubernetes.io/name: app-{i}}}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels: {{kubernetes.io/metadata.name: ingress-nginx}}
      ports:
        - {{port: http, protocol: TCP}}
"""

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-{i}
  namespace: bench
spec:
  serviceName: db-{i}
  replicas: 1
  selector:
    matchLabels: {{app.kubernetes.io/name: db-{i}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: db-{i}}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
        fsGroup: 999
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: db
          image: registry.example.com/team/postgres:17.2
          ports:
            - {{name: postgres, containerPort: {db_port}}}
          resources:
            requests: {{cpu: 250m, memory: 512Mi}}
            limits: {{memory: 1Gi}}
          readinessProbe:
            exec: {{command: [pg_isready, -U, app]}}
          livenessProbe:
            tcpSocket: {{port: postgres}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
          volumeMounts:
            - {{name: data, mountPath: /var/lib/postgresql/data}}
            - {{name: run, mountPath: /var/run/postgresql}}
      volumes:
        - name: run
          emptyDir: {{}}
  volumeClaimTemplates:
    - metadata: {{name: data}}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {{requests: {{storage: 10Gi}}}}
"""


def generate(objects: int) -> tuple[str, int]:
    """A YAML stream of about `objects` objects; (text, exact count)."""
    documents: list[str] = []
    i = 0
    while len(documents) < objects:
        broken = i % ERROR_EVERY == ERROR_EVERY - 1
        values = {
            "i": i,
            "j": (i + 1) % max(1, objects // 6),
            "replicas": "replcas: 2" if broken else "replicas: 2",  # a typo'd field
            "selector": f"app-{i}-typo" if broken else f"app-{i}",  # selects nothing
            "ingress_api": "networking.k8s.io/v1beta1" if broken else "networking.k8s.io/v1",
            "db_port": '"5432"' if broken else "5432",  # a string where a number goes
        }
        templates = [CONFIGMAP, DEPLOYMENT, SERVICE, INGRESS, NETWORK_POLICY]
        if i % 2 == 0:
            templates.append(STATEFULSET)
        documents += [template.format(**values) for template in templates]
        i += 1
    documents = documents[:objects]
    return "---\n".join(documents), len(documents)


def pin_to_one_core(cpu: int | None) -> int | None:
    """Run this process (and its children) on one CPU; the CPU, or None where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    chosen = cpu if cpu is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {chosen})
    return chosen


def measure_in_process(path: Path, count: int, facts: Facts) -> tuple[float, int]:
    """Best of three: (objects per second, findings)."""
    best = float("inf")
    found = 0
    for _ in range(3):
        started = time.perf_counter()
        findings = validate_paths([path], facts)
        best = min(best, time.perf_counter() - started)
        found = len(findings)
    return count / best, found


def wall_time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def kubernetes_validate_cli() -> str | None:
    beside = Path(sys.executable).parent / "kubernetes-validate"
    return str(beside) if beside.exists() else shutil.which("kubernetes-validate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=10_000, help="objects to validate")
    parser.add_argument("--compare", type=int, default=2_000, help="objects for the comparison")
    parser.add_argument("--cpu", type=int, help="the CPU to pin to (default: the first allowed)")
    parser.add_argument("--no-compare", action="store_true", help="skip kubernetes-validate")
    args = parser.parse_args()

    cpu = pin_to_one_core(args.cpu)
    facts = Facts(kubernetes_version=KUBERNETES_VERSION, namespace="bench")
    print(f"python {platform.python_version()}, Kubernetes schemas {KUBERNETES_VERSION}, "
          f"pinned to CPU {cpu if cpu is not None else '(not supported here)'}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        big = Path(tmp) / "objects.yaml"
        text, count = generate(args.objects)
        big.write_text(text, encoding="utf-8")
        rate, found = measure_in_process(big, count, facts)
        verdict = "met" if rate >= TARGET_OBJECTS_PER_SECOND else "NOT met"
        print(f"full validation, {count} objects: {rate:,.0f} objects/s ({found} findings); "
              f"target >= {TARGET_OBJECTS_PER_SECOND:,}/s: {verdict}")  # fmt: skip
        if args.no_compare:
            return 0
        cli = kubernetes_validate_cli()
        if cli is None:
            print("kubernetes-validate is not installed: pip install kubernetes-validate")
            return 2
        small = Path(tmp) / "compare.yaml"
        text, compared = generate(args.compare)
        small.write_text(text, encoding="utf-8")
        theirs = wall_time([cli, "--strict", "--quiet", "-k", KUBERNETES_VERSION, str(small)])
        command = [sys.executable, "-m", "gitops", "validate", "--kubernetes-version",
                   KUBERNETES_VERSION, "--namespace", "bench", str(small)]  # fmt: skip
        ours = min(wall_time(command) for _ in range(3))  # under a second: noise weighs more
        ratio = theirs / ours if ours else float("inf")
        verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
        print(f"same {compared} objects, wall time of a fresh process each:")
        print(
            f"  kubernetes-validate --strict: {theirs:6.2f} s ({compared / theirs:,.0f} objects/s)"
        )
        print(
            f"  python -m gitops validate:    {ours:6.2f} s ({compared / ours:,.0f} objects/s, "
            "best of 3)"
        )
        print(f"  ratio: {ratio:,.0f}x; target >= {TARGET_RATIO}x: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
