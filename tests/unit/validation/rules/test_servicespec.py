"""Services the API server refuses for their type (`rules.servicespec`, GB233): each check fires on
what ValidateService refuses once SetDefaults_Service has run, and stays silent on the closest
valid Service."""

from __future__ import annotations

import pytest

from gitops.validation.rules.servicespec import cidr_problem, parse_ip


def service(spec: str) -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: s, namespace: ns}}\nspec:\n{spec}"


PORTS = "  ports: [{name: http, port: 80}]\n"
CASES = {
    "no-ports": ("  selector: {app: web}\n", "  clusterIP: None\n  selector: {app: web}\n"),
    "empty-ports": ("  ports: []\n", "  type: ExternalName\n  externalName: db.example.com\n"),
    "headless-load-balancer": ("  type: LoadBalancer\n  clusterIP: None\n" + PORTS,
                               "  type: ClusterIP\n  clusterIP: None\n" + PORTS),
    "headless-node-port-ips": ("  type: NodePort\n  clusterIPs: [None]\n" + PORTS,
                               "  type: NodePort\n  clusterIPs: [10.0.0.1]\n" + PORTS),
    "cluster-ip": ("  clusterIP: 10.0.0\n" + PORTS, "  clusterIP: 010.000.000.001\n" + PORTS),
    "cluster-ips": ("  clusterIP: 10.0.0.1\n  clusterIPs: [10.0.0.2]\n" + PORTS,
                    "  clusterIP: 10.0.0.1\n  clusterIPs: [10.0.0.1, 'fd00::1']\n" + PORTS),
    "external-name": ("  type: ExternalName\n  externalName: 'not a host'\n",
                      "  type: ExternalName\n  externalName: db.example.com.\n"),
    "external-name-cluster-ip": ("  type: ExternalName\n  externalName: x.io\n  clusterIP: None\n",
                                 "  type: ExternalName\n  externalName: x.io\n  clusterIP: ''\n"),
    "external-name-families": ("  type: ExternalName\n  externalName: x.io\n  ipFamilies: [IPv4]\n",
                               "  type: ExternalName\n  externalName: x.io\n  ipFamilies: []\n"),
    "external-ip": ("  externalIPs: [0.0.0.0]\n" + PORTS, "  externalIPs: [192.0.2.10]\n" + PORTS),
    "external-ip-link-local": ("  externalIPs: ['fe80::1']\n" + PORTS,
                               "  externalIPs: ['2001:db8::1']\n" + PORTS),
    "source-ranges-type": ("  type: NodePort\n  loadBalancerSourceRanges: [10.0.0.0/8]\n" + PORTS,
                           "  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8]\n"
                           + PORTS),
    "source-range": ("  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/33]\n" + PORTS,
                     "  type: LoadBalancer\n  loadBalancerSourceRanges: [' 10.0.0.1/8']\n" + PORTS),
    "allocate-node-ports": ("  allocateLoadBalancerNodePorts: false\n" + PORTS,
                            "  type: LoadBalancer\n  allocateLoadBalancerNodePorts: false\n"
                            + PORTS),
    "load-balancer-class": ("  type: LoadBalancer\n  loadBalancerClass: 'a/b/c'\n" + PORTS,
                            "  type: LoadBalancer\n  loadBalancerClass: example.com/lb\n" + PORTS),
    "load-balancer-class-type": ("  loadBalancerClass: example.com/lb\n" + PORTS,
                                 "  type: LoadBalancer\n  loadBalancerClass: example.com/lb\n"
                                 + PORTS),
    "external-traffic-policy": ("  externalTrafficPolicy: Local\n" + PORTS,
                                "  externalTrafficPolicy: Local\n  externalIPs: [192.0.2.1]\n"
                                + PORTS),
    "health-check-node-port": (
        "  type: LoadBalancer\n  healthCheckNodePort: 30000\n" + PORTS,
        "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 30000\n"
        + PORTS),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_fires_on_what_the_api_server_refuses_and_not_next_to_it(
    case: str, load_manifests, run_rules
) -> None:
    bad, good = CASES[case]
    hits = run_rules(load_manifests(service(bad)), only=["GB233"])
    assert [h.rule for h in hits] == ["GB233"], hits
    assert hits[0].message[-1] not in ".;:"
    valid = load_manifests(service(good))
    assert len(valid) == 1  # it is YAML, and an object
    assert run_rules(valid, only=["GB233"]) == []


def test_a_misspelt_ports_field_is_left_to_the_schema(load_manifests, run_rules) -> None:
    text = service("  selector: {app: web}\n  prots: [{port: 80}]\n")
    assert run_rules(load_manifests(text), only=["GB233"]) == []


def test_findings_point_at_the_field(load_manifests, run_rules) -> None:
    text = service("  type: NodePort\n  loadBalancerClass: x\n" + PORTS)
    (hit,) = run_rules(load_manifests(text), only=["GB233"])
    assert (hit.line, hit.path) == (6, ("spec", "loadBalancerClass"))


def test_addresses_are_read_as_leniently_as_kubernetes_does() -> None:
    assert parse_ip("10.0.0.1") is not None
    assert parse_ip("010.0.0.1") is not None  # ParseIPSloppy: leading zeros, as decimal
    assert parse_ip("::ffff:10.0.0.1") is not None
    for bad in ("10.0.0", "10.0.0.256", "x", "", None, 10):
        assert parse_ip(bad) is None, bad
    assert cidr_problem("10.0.0.1/8") is None  # host bits set: a warning in Kubernetes only
    assert cidr_problem("2001:db8::/129")
    assert cidr_problem("10.0.0.0")
