"""deploy/k8s: kustomize builds of the base and the dev overlay, validated against the Kubernetes
JSON schemas (core kinds), a structural schema of the Traefik CRDs, and the deployment rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from deploy_helpers import K8S, ROOT, kustomize

from muistot_tooling import deploy_render

K8S_VERSION = "1.31"
CORE_KINDS = {"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job",
              "ConfigMap", "Secret", "PersistentVolumeClaim", "NetworkPolicy", "StatefulSet"}
TRAEFIK_KINDS = {"IngressRoute", "Middleware", "TraefikService"}
TRAEFIK_SCHEMA = json.loads((ROOT / "deploy" / "schemas" / "traefik-crds.schema.json").read_text())
API_SERVICES = ("login", "users", "admin", "data")
SCRAPE = {"prometheus.io/scrape": "true", "prometheus.io/port": "8000", "prometheus.io/path": "/metrics"}


def name_of(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def schema_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Core kinds against Kubernetes' own schemas (strict: unknown fields fail); Traefik's against ours."""
    problems = []
    for doc in docs:
        kind = doc.get("kind")
        if kind in CORE_KINDS:
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{name_of(doc)}: {'.'.join(map(str, exc.path))}: {exc.message}")
        elif kind in TRAEFIK_KINDS:
            validator = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": TRAEFIK_SCHEMA["$defs"]})
            problems += [f"{name_of(doc)}: {'.'.join(map(str, error.absolute_path))}: {error.message}"
                         for error in validator.iter_errors(doc)]
        else:
            problems.append(f"{kind}: a kind nothing here validates")
    return problems


def _index(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name_of(doc): doc for doc in docs}


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def workload_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Per service: Deployment with probes, limits and a non-root pod, plus its Service, HPA and PDB."""
    found = _index(docs)
    problems = []
    for service in API_SERVICES:
        deployment = found.get(f"Deployment/{service}")
        if deployment is None:
            problems.append(f"Deployment/{service} missing")
            continue
        template = deployment["spec"]["template"]
        pod, labels = template["spec"], template["metadata"].get("labels", {})
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"Deployment/{service}: pod may run as root")
        if any(template["metadata"].get("annotations", {}).get(key) != value for key, value in SCRAPE.items()):
            problems.append(f"Deployment/{service}: no Prometheus scrape annotations")
        main = next(c for c in pod["containers"] if c["name"] == service)
        if main.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/ready":
            problems.append(f"Deployment/{service}: readiness is not /ready")
        if main.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health":
            problems.append(f"Deployment/{service}: liveness is not /health")
        for container in pod["containers"] + pod.get("initContainers", []):
            resources = container.get("resources", {})
            requests, limits = resources.get("requests", {}), resources.get("limits", {})
            if not {"cpu", "memory"} <= set(requests) or "memory" not in limits:
                problems.append(f"Deployment/{service}: container {container['name']} lacks requests or limits")
            if container.get("securityContext", {}).get("allowPrivilegeEscalation") is not False:
                problems.append(f"Deployment/{service}: container {container['name']} may escalate privileges")
        svc = found.get(f"Service/{service}")
        if svc is None or not _selects(svc["spec"].get("selector", {}), labels) or \
                [p["port"] for p in svc["spec"]["ports"]] != [8000]:
            problems.append(f"Service/{service} does not serve the pods on 8000")
        hpa = found.get(f"HorizontalPodAutoscaler/{service}")
        if hpa is None or hpa["spec"]["scaleTargetRef"] != {"apiVersion": "apps/v1", "kind": "Deployment",
                                                            "name": service}:
            problems.append(f"HorizontalPodAutoscaler/{service} does not scale Deployment/{service}")
        pdb = found.get(f"PodDisruptionBudget/{service}")
        if pdb is None or not _selects(pdb["spec"]["selector"].get("matchLabels", {}), labels):
            problems.append(f"PodDisruptionBudget/{service} does not cover the pods")
    worker = found.get("Deployment/worker")
    if worker is None or worker["spec"]["template"]["spec"]["containers"][0].get("args") != ["worker"]:
        problems.append("no worker Deployment running `muistot worker`")
    # Upgrades migrate without manual steps: every workload's init container runs `muistot migrate` (under the
    # database's migration lock), and no Job is left whose template an upgrade could not change.
    for name in (*API_SERVICES, "worker"):
        init = (found.get(f"Deployment/{name}") or {}).get("spec", {}).get("template", {}).get("spec", {}).get(
            "initContainers", [])
        if not any(container.get("args", [""])[0] == "migrate" for container in init):
            problems.append(f"Deployment/{name}: no init container runs `muistot migrate`")
    if any(doc["kind"] == "Job" for doc in docs):
        problems.append("a Job: its pod template cannot change on an upgrade")
    for backend in ("mariadb", "redis"):
        if found.get(f"Service/{backend}", {}).get("spec", {}).get("type") != "ExternalName":
            problems.append(f"Service/{backend} is not an ExternalName")
    return problems


def reference_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Every name a manifest points at (Services, Middlewares, ConfigMaps, Secrets) exists in the build."""
    found = _index(docs)
    problems = []

    def check_service(owner: str, ref: dict[str, Any]) -> None:
        if ref.get("kind") == "TraefikService":
            if "@" not in ref["name"] and f"TraefikService/{ref['name']}" not in found:
                problems.append(f"{owner}: no TraefikService {ref['name']}")
            return
        service = found.get(f"Service/{ref['name']}")
        if service is None or ref.get("port") not in [p["port"] for p in service["spec"]["ports"]]:
            problems.append(f"{owner}: no Service {ref['name']} with port {ref.get('port')}")

    for doc in docs:
        owner = name_of(doc)
        if doc["kind"] == "IngressRoute":
            for route in doc["spec"]["routes"]:
                for middleware in route.get("middlewares", []):
                    if f"Middleware/{middleware['name']}" not in found:
                        problems.append(f"{owner}: a route uses a missing Middleware {middleware['name']}")
                for ref in route["services"]:
                    check_service(owner, ref)
        elif doc["kind"] == "Middleware" and "errors" in doc["spec"]:
            check_service(owner, doc["spec"]["errors"]["service"])
        elif doc["kind"] == "TraefikService":
            for ref in doc["spec"]["weighted"]["services"]:
                check_service(owner, ref)
        elif doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                for source in container.get("envFrom", []):
                    for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                        if key in source and f"{kind}/{source[key]['name']}" not in found:
                            problems.append(f"{owner}: no {kind} {source[key]['name']}")
            for volume in pod.get("volumes", []):
                claim = volume.get("persistentVolumeClaim", {}).get("claimName")
                if claim and f"PersistentVolumeClaim/{claim}" not in found:
                    problems.append(f"{owner}: no PersistentVolumeClaim {claim}")
    return problems


def test_base_and_dev_overlay_build(builds: dict[str, list[dict[str, Any]]]) -> None:
    for docs in builds.values():
        kinds = {doc["kind"] for doc in docs}
        assert CORE_KINDS - {"Secret", "Job", "StatefulSet"} <= kinds
        assert kinds >= TRAEFIK_KINDS
    assert "Secret" in {doc["kind"] for doc in builds["dev"]}
    assert {doc["metadata"].get("namespace") for doc in builds["dev"] if doc["kind"] != "Namespace"} == {"muistot-dev"}


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_manifests_match_the_schemas(builds: dict[str, list[dict[str, Any]]], overlay: str) -> None:
    assert schema_problems(builds[overlay]) == []


@pytest.mark.parametrize(("kind", "name", "change", "fragment"), [
    ("Deployment", "data", lambda d: d["spec"].update(replicas="two"), "Deployment/data: spec.replicas"),
    ("Deployment", "login", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(livenessprobe={}),
     "Deployment/login: spec.template.spec.containers.0"),
    ("HorizontalPodAutoscaler", "users", lambda d: d["spec"].pop("maxReplicas"), "HorizontalPodAutoscaler/users"),
    ("Middleware", "muistot-auth", lambda d: d["spec"].update(forwardauth=d["spec"].pop("forwardAuth")),
     "Middleware/muistot-auth: spec"),
    ("IngressRoute", "muistot", lambda d: d["spec"]["routes"][0].update(priority="high"),
     "IngressRoute/muistot: spec.routes.0.priority"),
])
def test_schema_check_rejects_a_broken_manifest(builds, mutate, kind: str, name: str, change, fragment: str) -> None:
    docs = [mutate(doc, change) if name_of(doc) == f"{kind}/{name}" else doc for doc in builds["dev"]]
    problems = schema_problems(docs)
    assert problems and all(problem.startswith(fragment) for problem in problems), problems


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_workloads_have_probes_limits_autoscaling_and_budgets(builds, overlay: str) -> None:
    assert workload_problems(builds[overlay]) == []


@pytest.mark.parametrize(("kind", "name", "change", "problem"), [
    ("Deployment", "admin", lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe"),
     "Deployment/admin: readiness is not /ready"),
    ("Deployment", "users", lambda d: d["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
     "Deployment/users: pod may run as root"),
    ("HorizontalPodAutoscaler", "data", lambda d: d["spec"]["scaleTargetRef"].update(name="dta"),
     "HorizontalPodAutoscaler/data does not scale Deployment/data"),
    ("Service", "login", lambda d: d["spec"]["selector"].update({"app.kubernetes.io/component": "lgin"}),
     "Service/login does not serve the pods on 8000"),
    ("Deployment", "worker", lambda d: d["spec"]["template"]["spec"].pop("initContainers"),
     "Deployment/worker: no init container runs `muistot migrate`"),
])
def test_workload_check_rejects_a_broken_manifest(builds, mutate, kind: str, name: str, change, problem: str) -> None:
    docs = [mutate(doc, change) if name_of(doc) == f"{kind}/{name}" else doc for doc in builds["dev"]]
    assert workload_problems(docs) == [problem]


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_every_reference_resolves(builds, overlay: str) -> None:
    problems = reference_problems(builds[overlay])
    if overlay == "base":  # the Secret comes from the overlay (or from the operator)
        problems = [p for p in problems if not p.endswith("no Secret muistot-secrets")]
    assert problems == []


def test_reference_check_rejects_a_missing_middleware_and_service(builds, mutate) -> None:
    def break_route(doc: dict[str, Any]) -> None:
        route = next(r for r in doc["spec"]["routes"] if r.get("middlewares"))
        route["middlewares"].append({"name": "muistot-nonexistent"})
        route["services"] = [{"name": "dta", "port": 8000}]

    docs = [mutate(doc, break_route) if name_of(doc) == "IngressRoute/muistot" else doc for doc in builds["dev"]]
    problems = reference_problems(docs)
    assert any("missing Middleware muistot-nonexistent" in problem for problem in problems)
    assert any("no Service dta with port 8000" in problem for problem in problems)


@pytest.mark.parametrize("overlay", ["base", "dev"])
def test_gateway_cors_allows_the_configured_origins(builds, overlay: str) -> None:
    found = _index(builds[overlay])
    config = next(doc for doc in builds[overlay] if doc["kind"] == "ConfigMap")
    origins = config["data"]["MUISTOT_CORS_ORIGINS"].split(",")
    assert found["Middleware/muistot-cors"]["spec"]["headers"]["accessControlAllowOriginList"] == origins


def test_every_public_route_is_rate_limited_first(builds) -> None:
    public = _index(builds["base"])["IngressRoute/muistot"]
    for route in public["spec"]["routes"]:
        if route["services"][0]["name"] == "ping@internal":
            continue
        assert route["middlewares"][0] == {"name": deploy_render.RATE_LIMIT}, route["match"]


def test_rendered_gateway_manifest_is_current() -> None:
    assert deploy_render.render_k8s(K8S / "base") == (K8S / "base" / "gateway.yaml").read_text()


def test_kustomize_rejects_an_overlay_that_names_a_missing_resource(tmp_path: Path) -> None:
    shutil.copytree(K8S, tmp_path / "k8s")
    kustomization = tmp_path / "k8s" / "base" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("  - worker.yaml\n", "  - wrker.yaml\n"))
    with pytest.raises(AssertionError, match=r"kustomize build .* failed"):
        kustomize(tmp_path / "k8s" / "overlays" / "dev")
