"""Rule modules; importing this package registers every rule in `gitops.validation.registry`.

GB0xx/GB1xx/GB5xx (documents, schema, repository) live in `documents`; GB2xx (what the API server
refuses) in names, selectors, containers, probes, volumes, quantities, cron, workloads,
networking, configdata (Secrets, ConfigMaps), servicespec and podspec; GB3xx (across objects) in
crossobjects, references and gateway (Gateway API routes, cert-manager issuers); GB4xx (policy) in
podsecurity, policy, policy_environment, rbac, isolation and secret_values.
"""

from gitops.validation.rules import (
    configdata,
    containers,
    cron,
    crossobjects,
    documents,
    gateway,
    isolation,
    names,
    networking,
    podsecurity,
    podspec,
    policy,
    policy_environment,
    probes,
    quantities,
    rbac,
    references,
    secret_values,
    selectors,
    servicespec,
    volumes,
    workloads,
)

__all__ = [
    "configdata",
    "containers",
    "cron",
    "crossobjects",
    "documents",
    "gateway",
    "isolation",
    "names",
    "networking",
    "podsecurity",
    "podspec",
    "policy",
    "policy_environment",
    "probes",
    "quantities",
    "rbac",
    "references",
    "secret_values",
    "selectors",
    "servicespec",
    "volumes",
    "workloads",
]
