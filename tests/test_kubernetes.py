"""deploy/kubernetes: what `kubectl apply -k` would create is valid Kubernetes, and
it runs the gateway with settings that load, on the ports, paths, Secrets and
volumes that the settings name."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gateway.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
#: the oldest Kubernetes release the manifests promise to work on (docs/kubernetes.md)
OLDEST_SUPPORTED = "1.30.0"
LATEST_SCHEMAS = "1.37.0"


def _documents(text: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(text) if document]


def _rendered_by_hand() -> list[dict[str, Any]]:
    """The resources the kustomization lists, with its namespace, labels and ConfigMap.

    Used only where kubectl is not installed, so that the schema check still runs.
    """
    kustomization = yaml.safe_load((KUSTOMIZE / "kustomization.yaml").read_text())
    labels: dict[str, str] = {}
    for entry in kustomization.get("labels", []):
        labels.update(entry["pairs"])
    documents = [
        document
        for resource in kustomization["resources"]
        for document in _documents((KUSTOMIZE / resource).read_text(encoding="utf-8"))
    ]
    for generator in kustomization.get("configMapGenerator", []):
        data = {name: (KUSTOMIZE / name).read_text(encoding="utf-8") for name in generator["files"]}
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": generator["name"]},
                "data": data,
            }
        )
    for document in documents:
        metadata = document.setdefault("metadata", {})
        metadata.setdefault("labels", {}).update(labels)
        if document["kind"] != "Namespace":
            metadata["namespace"] = kustomization["namespace"]
    return documents


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return _rendered_by_hand()
    result = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return _documents(result.stdout)


def _one(rendered: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [document for document in rendered if document["kind"] == kind]
    return found


def _container(rendered: list[dict[str, Any]]) -> dict[str, Any]:
    pod = _one(rendered, "StatefulSet")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return dict(container)


@pytest.mark.parametrize("version", [OLDEST_SUPPORTED, LATEST_SCHEMAS])
def test_every_rendered_object_is_valid_for_the_kubernetes_api(
    rendered: list[dict[str, Any]], version: str
) -> None:
    kinds = {document["kind"] for document in rendered}
    assert {
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "StatefulSet",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    } <= kinds
    for document in rendered:
        # strict: a misspelt or misplaced field is an error, not silently dropped
        kubernetes_validate.validate(document, version, strict=True)


def test_the_secret_example_is_valid_and_defines_every_key_the_pods_read(
    rendered: list[dict[str, Any]],
) -> None:
    secrets = {
        document["metadata"]["name"]: document
        for document in _documents((KUSTOMIZE / "secret.example.yaml").read_text())
    }
    for secret in secrets.values():
        kubernetes_validate.validate(secret, LATEST_SCHEMAS, strict=True)

    for variable in _container(rendered)["env"]:
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["key"] in secrets[reference["name"]]["stringData"], variable["name"]
    pod = _one(rendered, "StatefulSet")["spec"]["template"]["spec"]
    required = {
        volume["secret"]["secretName"]
        for volume in pod["volumes"]
        if "secret" in volume and not volume["secret"].get("optional")
    }
    assert required <= set(secrets)


def _pod_settings(rendered: list[dict[str, Any]]) -> Settings:
    """The settings a replica runs with: the ConfigMap's file, then its environment."""
    config = _one(rendered, "ConfigMap")["data"]["haetae.yaml"]
    environment = {
        variable["name"]: f"<{variable['valueFrom']['secretKeyRef']['key']}>"
        for variable in _container(rendered)["env"]
    }
    environment["HAETAE_AUDIT__URL"] = "postgresql://haetae:secret@postgres:5432/haetae"
    path = Path(KUSTOMIZE / "haetae.yaml")
    assert yaml.safe_load(config) == yaml.safe_load(path.read_text(encoding="utf-8"))
    return load_settings(path, environ=environment)


def _mounted(container: dict[str, Any], path: Path | str | None) -> dict[str, Any]:
    """The volume mount that holds ``path``; fails when nothing mounted does."""
    assert path is not None
    target = PurePosixPath(str(path))
    for mount in container["volumeMounts"]:
        if (
            target == PurePosixPath(mount["mountPath"])
            or PurePosixPath(mount["mountPath"]) in target.parents
        ):
            return dict(mount)
    raise AssertionError(f"{path} is on no mounted volume")


def test_the_pods_run_the_gateway_with_settings_that_load_and_match_the_manifests(
    rendered: list[dict[str, Any]],
) -> None:
    settings = _pod_settings(rendered)
    container = _container(rendered)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert settings.listen.host == "0.0.0.0"
    assert settings.listen.port == ports["http"]
    assert settings.proxy.listen is not None
    assert settings.proxy.address() == ("0.0.0.0", ports["proxy"])
    service = _one(rendered, "Service")
    assert {port["targetPort"] for port in service["spec"]["ports"]} == set(ports)
    ingress = _one(rendered, "NetworkPolicy")["spec"]["ingress"]
    assert {port["port"] for rule in ingress for port in rule["ports"]} == set(ports)

    # Secrets arrive as the variables the settings read them from.
    variables = {variable["name"] for variable in container["env"]}
    assert {
        settings.admin.token_env,
        settings.detection.key_env,
        settings.audit.fingerprint_key_env,
        settings.rollout.redis_password_env,
        "HAETAE_AUDIT__URL",
    } <= variables
    assert settings.audit.url.startswith("postgresql://")

    # Every file the gateway reads or writes is on a volume of the right kind.
    read_only_root = container["securityContext"]["readOnlyRootFilesystem"]
    assert read_only_root is True
    spool = _mounted(container, settings.audit.spool)
    assert spool["name"] in {
        claim["metadata"]["name"]
        for claim in _one(rendered, "StatefulSet")["spec"]["volumeClaimTemplates"]
    }, "the spool must outlive the pod"
    assert settings.audit.create_signing_key is False  # one shared key, not one per pod
    for key_file in (
        settings.rollout.signing_key_file,
        settings.rollout.verify_key_file,
        settings.audit.signing_key_file,
    ):
        assert _mounted(container, key_file).get("readOnly") is True
    assert _mounted(container, settings.identity.api_keys.file)["name"] == "keys"
    for ca_file in (settings.proxy.ca_cert, settings.proxy.ca_key):
        assert _mounted(container, ca_file) == {
            "name": "proxy-ca",
            "mountPath": "/run/secrets/haetae-proxy",
            "readOnly": True,
        }
    assert _mounted(container, "/etc/haetae/haetae.yaml")["name"] == "config"


def test_probes_pdb_and_autoscaler_keep_a_replica_serving(
    rendered: list[dict[str, Any]],
) -> None:
    container = _container(rendered)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"

    hpa = _one(rendered, "HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == _one(rendered, "StatefulSet")["metadata"]["name"]
    assert hpa["minReplicas"] >= 2
    pdb = _one(rendered, "PodDisruptionBudget")["spec"]
    assert pdb["maxUnavailable"] == 1

    # The budget, the Service and the NetworkPolicy all select the gateway's pods.
    pod_labels = _one(rendered, "StatefulSet")["spec"]["template"]["metadata"]["labels"]
    for selector in (
        pdb["selector"]["matchLabels"],
        _one(rendered, "Service")["spec"]["selector"],
        _one(rendered, "NetworkPolicy")["spec"]["podSelector"]["matchLabels"],
    ):
        assert selector.items() <= pod_labels.items()


def test_the_pods_meet_the_restricted_pod_security_standard(
    rendered: list[dict[str, Any]],
) -> None:
    pod = _one(rendered, "StatefulSet")["spec"]["template"]["spec"]
    container = _container(rendered)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    namespace = _one(rendered, "Namespace")["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"


def _bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(quantity[: -len(suffix)]) * factor
    return int(quantity)


def test_memory_request_covers_the_gateway_and_its_scan_processes(
    rendered: list[dict[str, Any]],
) -> None:
    """The gateway (~0.38 GiB) plus its scan worker processes (~0.16 GiB each, see
    detection.scan_processes) hold about 0.7 GiB at rest: a request below that lets
    the scheduler put a pod where it is soon out of memory."""
    resources = _container(rendered)["resources"]
    settings = Settings()
    at_rest = (0.38 + 0.16 * settings.detection.scan_processes) * 2**30
    requested = _bytes(resources["requests"]["memory"])
    assert requested >= at_rest
    assert _bytes(resources["limits"]["memory"]) >= requested + 2 * settings.limits.max_body_bytes
