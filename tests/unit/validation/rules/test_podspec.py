"""Pod templates the API server refuses (`rules.podspec`): scheduling (GB234) and pod-level fields
(GB235). Each check fires on what ValidatePodSpec refuses and stays silent on the closest valid
template."""

from __future__ import annotations

import pytest

# A Pod in namespace guestbook with one container `app` (conftest's POD): `extra` goes after the
# container's image, indented for the pod spec ("  key: value") or the container ("      ...").
TOLERATION = "  tolerations:\n    - {extra}\n"
NODE_TERM = (
    "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
    "        nodeSelectorTerms:\n          - matchExpressions:\n              - {extra}\n"
)
POD_TERM = (
    "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
    "        - {extra}\n"
)
SPREAD = "  topologySpreadConstraints:\n    - {extra}\n"
ZONE = "topologyKey: topology.kubernetes.io/zone"
IMAGE = "(the container's image)"

SCHEDULING = {
    "toleration-exists-value": (TOLERATION, "{key: k, operator: Exists, value: v}",
                                "{key: k, operator: Exists}"),
    "toleration-no-key": (TOLERATION, "{operator: Equal, value: v}", "{operator: Exists}"),
    "toleration-seconds": (TOLERATION, "{key: k, operator: Exists, tolerationSeconds: 5}",
                           "{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: 5}"),
    "toleration-effect": (TOLERATION, "{key: k, value: v, effect: NoScheduled}",
                          "{key: k, value: v, effect: NoSchedule}"),
    "toleration-value": (TOLERATION, "{key: k, value: 'a b'}", "{key: k, value: a-b}"),
    "toleration-key": (TOLERATION, "{key: 'a b', operator: Exists}",
                       "{key: example.com/a-b, operator: Exists}"),
    "toleration-operator": (TOLERATION, "{key: k, operator: exists}", "{key: k, operator: Exists}"),
    "node-selector": ("  nodeSelector: {{{extra}}}\n", "disk: 'fast ssd'", "disk: fast-ssd"),
    "node-in-without-values": (NODE_TERM, "{key: zone, operator: In}",
                               "{key: zone, operator: In, values: [a]}"),
    "node-exists-with-values": (NODE_TERM, "{key: zone, operator: DoesNotExist, values: [a]}",
                                "{key: zone, operator: DoesNotExist}"),
    "node-gt-two-values": (NODE_TERM, "{key: cpus, operator: Gt, values: ['1', '2']}",
                           "{key: cpus, operator: Gt, values: ['1']}"),
    "node-operator": (NODE_TERM, "{key: zone, operator: Equals, values: [a]}",
                      "{key: zone, operator: NotIn, values: [a]}"),
    "node-value": (NODE_TERM, "{key: zone, operator: In, values: ['a b']}",
                   "{key: zone, operator: In, values: [a-b]}"),
    "node-no-terms": ("  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuring"
                      "Execution:\n        nodeSelectorTerms: {extra}\n", "[]", "[{}]"),
    "node-match-fields": ("  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnored"
                          "DuringExecution:\n        nodeSelectorTerms:\n          - matchFields:"
                          " [{extra}]\n", "{key: metadata.labels, operator: In, values: [n]}",
                          "{key: metadata.name, operator: In, values: [n]}"),
    "node-weight": ("  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuring"
                    "Execution:\n        - {extra}\n",
                    "{weight: 101, preference: {matchExpressions: [{key: a, operator: Exists}]}}",
                    "{weight: 100, preference: {matchExpressions: [{key: a, operator: Exists}]}}"),
    "pod-topology-key": (POD_TERM, "{topologyKey: '', labelSelector: {matchLabels: {a: b}}}",
                         "{topologyKey: kubernetes.io/hostname}"),
    "pod-selector": (POD_TERM, "{" + ZONE + ", labelSelector: {matchExpressions: [{key: a, "
                     "operator: In}]}}", "{" + ZONE + ", labelSelector: {matchExpressions: [{key: "
                     "a, operator: Exists}]}}"),
    "pod-weight": ("  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuring"
                   "Execution:\n        - {extra}\n", f"{{weight: 0, podAffinityTerm: {{{ZONE}}}}}",
                   f"{{weight: 1, podAffinityTerm: {{{ZONE}}}}}"),
    "pod-namespaces": (POD_TERM, f"{{{ZONE}, namespaces: [Prod]}}",
                       f"{{{ZONE}, namespaces: [prod]}}"),
    "spread-max-skew": (SPREAD, f"{{maxSkew: 0, {ZONE}, whenUnsatisfiable: DoNotSchedule}}",
                        f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: DoNotSchedule}}"),
    "spread-action": (SPREAD, f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: Never}}",
                      f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: ScheduleAnyway}}"),
    "spread-min-domains": (SPREAD, f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: ScheduleAnyway, "
                           "minDomains: 2}", f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: "
                           "DoNotSchedule, minDomains: 2}"),
    "spread-twice": (SPREAD, f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: DoNotSchedule}}\n    - "
                     f"{{maxSkew: 2, {ZONE}, whenUnsatisfiable: DoNotSchedule}}",
                     f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: DoNotSchedule}}\n    - "
                     f"{{maxSkew: 2, {ZONE}, whenUnsatisfiable: ScheduleAnyway}}"),
    "spread-match-label-keys": (SPREAD, f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: DoNotSchedule, "
                                "matchLabelKeys: [pod-template-hash]}",
                                f"{{maxSkew: 1, {ZONE}, whenUnsatisfiable: DoNotSchedule, "
                                "labelSelector: {matchLabels: {a: b}}, matchLabelKeys: "
                                "[pod-template-hash]}"),
}  # fmt: skip

POD_SPEC = {
    "no-image": (IMAGE, "", "x:1"),
    "dns-none": ("  dnsPolicy: None\n{extra}", "", "  dnsConfig: {nameservers: [10.0.0.10]}\n"),
    "nameservers": ("  dnsConfig: {{nameservers: [{extra}]}}\n",
                    "1.1.1.1, 2.2.2.2, 3.3.3.3, 4.4.4.4",
                    "1.1.1.1, 2.2.2.2, '2001:db8::1'"),
    "nameserver": ("  dnsConfig: {{nameservers: [{extra}]}}\n", "dns.example.com", "10.0.0.10"),
    "search": ("  dnsConfig: {{searches: [{extra}]}}\n", "'-bad.example.com'",
               "ns1.svc.cluster.local., _srv.example.com, '.'"),
    "dns-option": ("  dnsConfig: {{options: [{extra}]}}\n", "{value: '2'}",
                   "{name: ndots, value: '2'}"),
    "host-alias-ip": ("  hostAliases: [{{ip: {extra}, hostnames: [a.local]}}]\n", "a.local",
                      "10.1.2.3"),
    "host-alias-name": ("  hostAliases: [{{ip: 10.1.2.3, hostnames: [{extra}]}}]\n", "A_Host",
                        "a-host.local"),
    "hostname": ("  hostname: {extra}\n", "web.1", "web-1"),
    "subdomain": ("  subdomain: {extra}\n", "Web", "web"),
    "priority-class": ("  priorityClassName: {extra}\n", "High_Priority", "high-priority"),
    "service-account": ("  serviceAccountName: {extra}\n", "Web", "web"),
    "active-deadline": ("  activeDeadlineSeconds: {extra}\n", "0", "1"),
}  # fmt: skip


def _pod(pod, template: str, value: str) -> list:
    """The conftest Pod with `value` put into `template`; IMAGE replaces the container's image."""
    if template == IMAGE:
        manifests = pod("")
        manifests[0].obj["spec"]["containers"][0]["image"] = value
        return manifests
    return pod(template.format(extra=value).rstrip("\n"))


@pytest.mark.parametrize(("rule_id", "case"), [
    *(("GB234", case) for case in SCHEDULING), *(("GB235", case) for case in POD_SPEC)
])  # fmt: skip
def test_fires_on_what_the_api_server_refuses_and_not_next_to_it(
    rule_id: str, case: str, pod, run_rules
) -> None:
    template, bad, good = (SCHEDULING if rule_id == "GB234" else POD_SPEC)[case]
    hits = run_rules(_pod(pod, template, bad), only=[rule_id])
    assert [h.rule for h in hits] == [rule_id], hits
    assert hits[0].message[-1] not in ".;:"
    valid = _pod(pod, template, good)
    assert len(valid) == 1  # it is YAML, and a Pod
    assert run_rules(valid, only=["GB234", "GB235"]) == []


def test_findings_point_at_the_field_in_any_workload(load_manifests, run_rules) -> None:
    text = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: c, namespace: guestbook}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          tolerations:
            - {operator: Exists, value: x}
          containers: [{name: c}]
"""
    hits = run_rules(load_manifests(text), only=["GB234", "GB235"])
    assert [(h.rule, h.line) for h in hits] == [("GB234", 12), ("GB235", 13)]
