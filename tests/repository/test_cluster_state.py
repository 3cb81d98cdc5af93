"""The committed cluster state (clusters/<env>/): what each cluster receives, checked against the
environment's facts, the issue's requirements, the schemas and the project's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from gitops.render import sync
from gitops.render.controllers import CONTROLLERS
from gitops.render.objects import file_name
from gitops.render.state import render_all
from gitops.repo.environments import AppFacts, Environment, environment_names, load_environment
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.validation.crds import crd_schema
from gitops.validation.model import Facts

REPO = Path(__file__).resolve().parents[2]  # at import: the environments parametrize the tests
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)
KUSTOMIZATION_FILES = {"kustomization.yaml", "kustomization.yml", "Kustomization"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}


def _env(name: str) -> Environment:
    return load_environment(LAYOUT, name)


def _guestbook(env: str) -> AppFacts:
    return _env(env).apps["guestbook"]


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_environment_is_rendered_and_nothing_else() -> None:
    assert sorted(p.name for p in LAYOUT.clusters_dir.iterdir() if p.is_dir()) == ENVS


@pytest.mark.usefixtures("needs_kustomize")
def test_the_committed_clusters_are_a_fresh_render() -> None:
    """`nox -s render` was run and committed: what the controllers apply is what apps/ says
    (needs kustomize or kubectl)."""
    layout = Layout(REPO)
    stale = sync.changes(layout, render_all(layout))
    assert stale == [], "run `python -m gitops render`: " + ", ".join(
        f"{c.status} {layout.relative(c.path)}" for c in stale
    )


@pytest.mark.parametrize("env", ENVS)
def test_one_object_per_file_named_after_it_in_its_layer(env: str, load_cluster) -> None:
    """`<layer>/<kind>-<name>.yaml`, the layer the app's entry in apps/layers.yaml gives the
    object; `<layer>/<controller>/...` for a layer rendered per controller."""
    layers = load_layers(LAYOUT.layers_file, "layers.yaml")
    folders = {
        f"{layer}/{controller}" if layer in layers.per_controller else layer
        for layer in layers.order
        for controller in CONTROLLERS
    }
    allowed = folders | set(layers.per_controller)
    cluster = load_cluster(env)
    for path in sorted(LAYOUT.cluster_dir(env).rglob("*")):
        relative = path.relative_to(LAYOUT.cluster_dir(env)).as_posix()
        if path.is_dir():
            assert relative in allowed, f"{path}: not a layer folder"
            continue
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        assert len(docs) == 1, path
        layer = layers.of_app(cluster.apps[relative]).layer_of(docs[0])
        folder = relative.rpartition("/")[0]
        if layer in layers.per_controller:
            assert folder in {f"{layer}/{controller}" for controller in CONTROLLERS}, relative
        else:
            assert folder == layer, relative
        assert relative == f"{folder}/{file_name(docs[0])}"


@pytest.mark.parametrize("env", ENVS)
def test_the_public_host_is_the_one_in_the_facts(env: str, load_cluster) -> None:
    """environment.yaml is the single truth for the host: the HTTPRoutes' hostnames, the
    hostname of the Gateway listener they attach to, and the web pods' allowed hosts and CSRF
    origins are that host (the overlays repeat it for kustomize)."""
    host = _guestbook(env).host
    objects = load_cluster(env)
    routes = objects.of_app("guestbook").by_kind("HTTPRoute")
    assert routes, "no HTTPRoute"
    gateways = {
        (g["metadata"]["namespace"], g["metadata"]["name"]): g for g in objects.by_kind("Gateway")
    }
    for route in routes:
        assert route["spec"]["hostnames"] == [host], route["metadata"]["name"]
        for parent in route["spec"]["parentRefs"]:
            gateway = gateways[(parent["namespace"], parent["name"])]
            (listener,) = [
                item
                for item in gateway["spec"]["listeners"]
                if item["name"] == parent["sectionName"]
            ]
            assert listener.get("hostname", host) == host, listener["name"]
    https = [
        item
        for gateway in gateways.values()
        for item in gateway["spec"]["listeners"]
        if item["protocol"] == "HTTPS"
    ]
    assert [item["hostname"] for item in https] == [host]
    web_settings = next(
        c
        for c in objects.by_kind("ConfigMap")
        if c["metadata"]["name"].startswith("guestbook-web-")
    )
    assert web_settings["data"]["ALLOWED_HOSTS"] == host
    assert web_settings["data"]["CSRF_TRUSTED_ORIGINS"] == f"https://{host}"


@pytest.mark.parametrize("env", ENVS)
def test_the_guestbook_is_in_the_facts_namespace_which_enforces_restricted(
    env: str, load_cluster
) -> None:
    namespace = _guestbook(env).namespace
    objects = load_cluster(env).of_app("guestbook")
    (created,) = objects.by_kind("Namespace")
    assert created["metadata"]["name"] == namespace
    assert created["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in objects.values():
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == namespace, obj["metadata"]["name"]


@pytest.mark.parametrize("env", ENVS)
def test_every_namespace_enforces_a_pod_security_level(env: str, load_cluster) -> None:
    """The infrastructure's namespaces too: restricted, or baseline where Envoy's proxies run
    (warning about restricted)."""
    for namespace in load_cluster(env).by_kind("Namespace"):
        labels = namespace["metadata"]["labels"]
        level = labels["pod-security.kubernetes.io/enforce"]
        assert level in {"restricted", "baseline"}, namespace["metadata"]["name"]
        if level != "restricted":
            assert labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_no_secret_material_anywhere_in_the_repository() -> None:
    """Secrets are referenced by name; their values are created out of git (bootstrap/README.md)."""
    for folder in ("clusters", "apps", "bootstrap"):
        for path in sorted((REPO / folder).rglob("*.y*ml")):
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if isinstance(doc, dict) and doc.get("kind") == "Secret":
                    assert not doc.get("data") and not doc.get("stringData"), path


def test_no_kustomization_file_where_controllers_apply_plain_manifests() -> None:
    """clusters/ and the entry points the controllers (and `kubectl apply -f`) read; only
    bootstrap/argocd/install/ is a kustomization, applied by hand with `kubectl apply -k`."""
    folders = [REPO / "clusters", REPO / "bootstrap" / "flux"]
    folders += [REPO / "bootstrap" / "argocd" / env for env in ENVS]
    for folder in folders:
        found = [p for p in folder.rglob("*") if p.name in KUSTOMIZATION_FILES]
        assert found == [], f"{found[0]} makes the controller run kustomize there"


@pytest.mark.parametrize("env", ENVS)
def test_every_object_passes_strict_schema_validation(env: str, load_cluster) -> None:
    """Built-in objects: kubernetes-validate --strict for the Kubernetes version the facts
    declare; custom resources (Gateway API, cert-manager, Sealed Secrets, Flux, Argo CD): the
    vendored CRD schema, where an unknown field is an error too."""
    version = _env(env).kubernetes_version
    custom = 0
    for path, obj in load_cluster(env).items():
        schema = crd_schema(obj["apiVersion"], obj["kind"])
        if schema is None:
            group = obj["apiVersion"].rpartition("/")[0]
            assert "." not in group or group.endswith(".k8s.io"), f"{path}: no schema"
            kubernetes_validate.validate(obj, f"{version}.0", strict=True)
        else:
            custom += 1
            errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=str)
            assert [f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors] == [], path
    assert custom, "no custom resource checked"


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("controller", CONTROLLERS)
def test_the_projects_rules_find_no_error(
    env: str, controller: str, load_cluster, load_manifests, run_rules
) -> None:
    """Each controller's cluster on its own, against the environment's facts (every Secret must
    be provided in it)."""
    manifests = []
    for path in sorted(load_cluster(env).view(controller)):
        file = LAYOUT.cluster_dir(env) / path
        manifests += load_manifests(
            file.read_text(encoding="utf-8"), file.relative_to(REPO).as_posix()
        )
    findings = run_rules(manifests, Facts.from_environment(_env(env)))
    assert [f for f in findings if f.severity == "error"] == []


@pytest.mark.parametrize("env", ENVS)
def test_every_pod_meets_the_restricted_profile_with_resources_and_probes(
    env: str, load_cluster
) -> None:
    for obj, spec in load_cluster(env).workloads():
        where = f"{obj['kind']} {obj['metadata']['name']}"
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        for container in _containers(spec):
            security = container["securityContext"]
            # a pod's containers may run as different users (the backup's pg_dump and upload)
            assert {**pod, **security}["runAsUser"] not in (None, 0), where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in security["capabilities"], where
            assert security["readOnlyRootFilesystem"] is True, where
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), where
            assert "memory" in resources["limits"], where
            if obj["kind"] in LONG_RUNNING:
                assert "readinessProbe" in container and "livenessProbe" in container, where


@pytest.mark.parametrize("env", ENVS)
def test_web_rolls_out_without_losing_capacity_and_stops_gracefully(env: str, load_cluster) -> None:
    objects = load_cluster(env)
    web = objects.one("Deployment", "guestbook-web")
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spec = web["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert spec["securityContext"]["runAsUser"] == spec["securityContext"]["runAsGroup"] == 10001
    assert {v["mountPath"] for v in container["volumeMounts"]} == {"/tmp"}
    settings = {}
    for source in container["envFrom"]:
        settings |= objects.one("ConfigMap", source["configMapRef"]["name"])["data"]
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = int(settings["GUNICORN_GRACEFUL_TIMEOUT"])
    assert spec["terminationGracePeriodSeconds"] > pause + graceful
    assert spec["topologySpreadConstraints"]
    account = objects.one("ServiceAccount", spec["serviceAccountName"])
    assert account["automountServiceAccountToken"] is False
    assert (
        objects.one("PodDisruptionBudget", "guestbook-web")["spec"]["selector"]
        == web["spec"]["selector"]
    )


@pytest.mark.parametrize("env", ENVS)
def test_the_migration_runs_first_and_needs_only_the_data_layer(env: str, load_cluster) -> None:
    objects = load_cluster(env)
    [(path, job)] = [(p, o) for p, o in objects.items() if o["kind"] == "Job"]
    assert path.startswith("app/")
    annotations = job["metadata"]["annotations"]
    assert annotations["argocd.argoproj.io/hook"] == "PreSync"
    assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    assert annotations["kustomize.toolkit.fluxcd.io/force"] == "enabled"
    assert job["spec"]["backoffLimit"] > 0
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    web = objects.one("Deployment", "guestbook-web")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == web["image"]
    # a PreSync hook starts before anything else of the app layer exists
    data = {(o["kind"], o["metadata"]["name"]) for p, o in objects.items() if p.startswith("data/")}
    config_maps = {s["configMapRef"]["name"] for s in container.get("envFrom", [])} | {
        e["valueFrom"]["configMapKeyRef"]["name"]
        for e in container["env"]
        if "configMapKeyRef" in e.get("valueFrom", {})
    }
    assert {("ConfigMap", name) for name in config_maps} <= data
    assert spec.get("serviceAccountName", "default") == "default" or (
        ("ServiceAccount", spec["serviceAccountName"]) in data
    )
    labels = job["spec"]["template"]["metadata"]["labels"]
    egress = [
        o
        for p, o in objects.items()
        if p.startswith("data/")
        and o["kind"] == "NetworkPolicy"
        and "Egress" in o["spec"]["policyTypes"]
        and _selects(o["spec"]["podSelector"], labels)
        and any(r.get("to") for r in o["spec"].get("egress", []))
    ]
    assert any("postgres" in o["metadata"]["name"] for o in egress)


def _options(args: list[str]) -> dict[str, str]:
    """`--name value...` command-line options as {name: "value ..."} (values may be empty)."""
    options: dict[str, list[str]] = {}
    current = None
    for arg in args:
        if arg.startswith("--"):
            current = options.setdefault(arg, [])
        elif current is not None:
            current.append(arg)
    return {name: " ".join(values) for name, values in options.items()}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
    return True


@pytest.mark.parametrize("env", ENVS)
def test_data_services_use_exact_versions_pinned_by_digest(env: str, load_cluster) -> None:
    images = {c["image"] for _, spec in load_cluster(env).workloads() for c in _containers(spec)}
    image = _guestbook(env).image
    assert image is not None
    third_party = {i for i in images if not i.startswith(image.repository)}
    assert {i.split("@")[0].rsplit(":", 1)[0] for i in third_party} == {
        "docker.io/library/postgres",
        "docker.io/library/redis",
    }
    for image in third_party:
        name, _, digest = image.partition("@")
        assert "." in name.rsplit(":", 1)[1], image  # 17.11, 7.4.11: exact, not "17" or "7"
        assert len(digest) == len("sha256:") + 64, image


@pytest.mark.parametrize("env", ENVS)
def test_redis_is_a_cache_and_reads_go_to_the_replicas_where_there_are_some(
    env: str, load_cluster
) -> None:
    objects = load_cluster(env)
    for name in ("guestbook-redis", "guestbook-redis-replica"):
        deployments = [d for d in objects.by_kind("Deployment") if d["metadata"]["name"] == name]
        for deployment in deployments:
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            assert "redis-server /run/redis/auth.conf" in container["command"][2]
            pairs = _options(container["args"])
            assert pairs["--save"] == "" and pairs["--appendonly"] == "no"
            assert pairs["--maxmemory-policy"] == "allkeys-lru" and "--maxmemory" in pairs
    settings = next(
        c["data"]
        for c in objects.by_kind("ConfigMap")
        if c["metadata"]["name"].startswith("guestbook-redis-")
    )
    replicas = [
        d
        for d in objects.by_kind("Deployment")
        if d["metadata"]["name"] == "guestbook-redis-replica"
    ]
    if replicas:
        host = settings["REDIS_REPLICA_URLS"].split("//")[1].split(":")[0]
        service = objects.one("Service", host)
        assert _selects(
            {"matchLabels": service["spec"]["selector"]},
            replicas[0]["spec"]["template"]["metadata"]["labels"],
        )
    else:
        assert "REDIS_REPLICA_URLS" not in settings


def _secret_env(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """{variable: (Secret, key)} of a container's variables that come from a Secret."""
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_redis_server_requires_the_password_and_keeps_it_out_of_its_arguments(
    env: str, load_cluster
) -> None:
    """requirepass on every server, masterauth on replicas, protected-mode yes, all from a file
    the container writes from the Secret at start (never an argument); redis-cli in the probes
    reads REDISCLI_AUTH; the web pods send REDIS_PASSWORD from the same Secret."""
    objects = load_cluster(env)
    password = ("guestbook-redis", "password")
    servers = [
        d
        for d in objects.by_kind("Deployment")
        if d["metadata"]["name"] in {"guestbook-redis", "guestbook-redis-replica"}
    ]
    assert len(servers) == (2 if env == "prod" else 1)
    for deployment in servers:
        replica = deployment["metadata"]["name"] == "guestbook-redis-replica"
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert _secret_env(container) == {"REDIS_PASSWORD": password, "REDISCLI_AUTH": password}
        shell, flag, script, _ = container["command"]
        assert (shell, flag) == ("sh", "-c")
        assert "protected-mode yes" in script and 'requirepass "%s"' in script
        assert ('masterauth "%s"' in script) == replica
        assert "> /run/redis/auth.conf" in script and "umask 077" in script
        assert script.rstrip().endswith(
            'exec docker-entrypoint.sh redis-server /run/redis/auth.conf "$@"'
        )
        for option in ("--protected-mode", "--requirepass", "--masterauth"):
            assert option not in container["args"], f"{option} would override the file"
        (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/run/redis"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["emptyDir"]["medium"] == "Memory"
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["exec"]["command"][2].startswith("redis-cli -h 127.0.0.1 ")
    web = objects.one("Deployment", "guestbook-web")["spec"]["template"]["spec"]["containers"][0]
    assert _secret_env(web)["REDIS_PASSWORD"] == password
    sealed = objects.one("SealedSecret", "guestbook-redis")
    assert list(sealed["spec"]["encryptedData"]) == ["password"]


def test_prod_scales_on_cpu_and_leaves_the_replica_count_to_the_autoscaler(load_cluster) -> None:
    objects = load_cluster("prod")
    hpa = objects.one("HorizontalPodAutoscaler", "guestbook-web")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "guestbook-web",
    }
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert "replicas" not in objects.one("Deployment", "guestbook-web")["spec"]
    assert set(_env("prod").required_kinds) <= {o["kind"] for o in objects.values()}


@pytest.mark.parametrize("env", ENVS)
def test_only_what_must_talk_talks(env: str, load_cluster) -> None:
    """Default deny both ways, DNS for all, and an allow rule per connection the issue lists."""
    objects = load_cluster(env)
    policies = {p["metadata"]["name"]: p["spec"] for p in objects.by_kind("NetworkPolicy")}
    deny = policies["default-deny"]
    assert deny["podSelector"] == {} and sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny and "egress" not in deny
    dns = policies["allow-dns"]
    assert dns["podSelector"] == {} and {p["port"] for r in dns["egress"] for p in r["ports"]} == {
        53
    }

    def allowed(source: str, target: str, port: int) -> bool:
        """Some policy lets pods of component `source` open connections to `target`:`port`,
        and some policy lets `target` accept them (named ports resolved on the target)."""
        src = {"app.kubernetes.io/name": "guestbook", "app.kubernetes.io/component": source}
        dst = {"app.kubernetes.io/name": "guestbook", "app.kubernetes.io/component": target}
        out = any(
            _selects(s["podSelector"], src)
            and _selects(peer["podSelector"], dst)
            and any(p["port"] == port for p in rule["ports"])
            for s in policies.values()
            for rule in s.get("egress", [])
            for peer in rule.get("to", [])
            if "podSelector" in peer and "namespaceSelector" not in peer
        )
        into = any(
            _selects(s["podSelector"], dst) and _selects(peer["podSelector"], src)
            for s in policies.values()
            for rule in s.get("ingress", [])
            for peer in rule.get("from", [])
            if "podSelector" in peer and "namespaceSelector" not in peer
        )
        return out and into

    for client in ("web", "migrate"):
        assert allowed(client, "postgres", 5432) and allowed(client, "redis", 6379)
    assert not allowed("redis", "postgres", 5432) and not allowed("postgres", "redis", 6379)
    if any(
        d["metadata"]["name"] == "guestbook-redis-replica" for d in objects.by_kind("Deployment")
    ):
        assert allowed("redis-replica", "redis", 6379) and allowed("web", "redis-replica", 6379)
    web_in = policies["guestbook-web"]["ingress"]
    assert all("namespaceSelector" in peer for rule in web_in for peer in rule["from"])


def test_the_bootstrap_readme_shows_how_every_secret_is_provided(load_cluster) -> None:
    """No Secret is created by hand: the runbook seals each sealed Secret's keys (`nox -s seal`)
    and gives the controller its root key, in the namespace its chart is installed in."""
    readme = (REPO / "bootstrap" / "README.md").read_text(encoding="utf-8")
    for env in ENVS:
        for sealed in load_cluster(env).by_kind("SealedSecret"):
            for key in sealed["spec"]["encryptedData"]:
                command = f"nox -s seal -- dev {sealed['metadata']['name']} {key}"
                assert command in readme, f"{env}: {command}"
        (release,) = [
            r
            for r in load_cluster(env).by_kind("HelmRelease")
            if (r["spec"].get("chart") or {}).get("spec", {}).get("chart") == "sealed-secrets"
        ]
        namespace = release["spec"]["targetNamespace"]
        assert f"kubectl -n {namespace} create secret tls" in readme
        assert f"kubectl -n {namespace} label secret" in readme
        assert "sealedsecrets.bitnami.com/sealed-secrets-key=active" in readme


def test_facts_files_are_where_the_layout_says() -> None:
    for env in ENVS:
        assert _env(env).facts_file == REPO / "apps" / "environments" / env / "environment.yaml"


@pytest.mark.parametrize("env", ENVS)
def test_backups_go_where_the_facts_say(env: str, load_cluster) -> None:
    """environment.yaml is the single truth for where backups go: the ConfigMap the backup and
    restore Jobs read says the same endpoint, bucket and prefix, and both CronJobs read it."""
    backup = _guestbook(env).backup
    assert backup is not None, f"{env}: apps.guestbook.backup is missing from the facts"
    objects = load_cluster(env).of_app("guestbook")
    (config,) = [
        c
        for c in objects.by_kind("ConfigMap")
        if c["metadata"]["name"].startswith("guestbook-backup-")
    ]
    data = config["data"]
    assert (data["BACKUP_ENDPOINT"], data["BACKUP_BUCKET"], data["BACKUP_PREFIX"]) == (
        backup.endpoint,
        backup.bucket,
        backup.prefix,
    )
    assert data["BACKUP_REGION"] == (backup.region or "us-east-1")
    cronjobs = {c["metadata"]["name"]: c for c in objects.by_kind("CronJob")}
    assert set(cronjobs) == {"guestbook-postgres-backup", "guestbook-postgres-restore"}
    assert cronjobs["guestbook-postgres-restore"]["spec"]["suspend"] is True
    assert cronjobs["guestbook-postgres-backup"]["spec"].get("suspend", False) is False
    for cronjob in cronjobs.values():
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        sources = [
            source["configMapRef"]["name"]
            for container in pod["initContainers"] + pod["containers"]
            for source in container.get("envFrom", [])
        ]
        assert sources == [config["metadata"]["name"]], cronjob["metadata"]["name"]
