"""The Kubernetes manifests and the Dockerfile agree with each other and with the server: the
ConfigMap's routes load, the names and paths they share match, the probes ask for the health
path."""

from __future__ import annotations

from pathlib import Path

import yaml

from wasmkit.edge.app import HEALTH_PATH, METRICS_PATH
from wasmkit.edge.config import load_config
from tests.support import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def manifest(name: str) -> dict:
    return yaml.safe_load((DEPLOY / "kubernetes" / name).read_text())


def test_the_configmap_routes_load(tmp_path: Path) -> None:
    routes = manifest("configmap.yaml")["data"]["modules.toml"]
    examples = PROJECT_ROOT / "examples" / "edge"
    (tmp_path / "modules.toml").write_text(routes.replace("/srv/modules", str(examples)))
    config = load_config(tmp_path / "modules.toml")
    assert [route.route.text for route in config.routes] == ["/hello/...", "/echo/...", "/form"]
    assert all(route.module.parent == examples for route in config.routes)


def test_the_deployment_mounts_the_routes_and_modules() -> None:
    deployment = manifest("deployment.yaml")
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    volumes = {volume["name"]: volume for volume in pod["spec"]["volumes"]}
    mounts = {mount["name"]: mount for mount in container["volumeMounts"]}
    assert volumes["routes"]["configMap"]["name"] == manifest("configmap.yaml")["metadata"]["name"]
    config_path = container["args"][container["args"].index("serve") + 1]
    assert Path(config_path).parent == Path(mounts["routes"]["mountPath"])
    assert mounts["modules"]["mountPath"] == "/srv/modules" and mounts["modules"]["readOnly"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == HEALTH_PATH
    assert pod["metadata"]["annotations"]["prometheus.io/path"] == METRICS_PATH
    assert deployment["spec"]["selector"]["matchLabels"] == pod["metadata"]["labels"]


def test_the_service_selects_the_pods() -> None:
    service = manifest("service.yaml")
    pod = manifest("deployment.yaml")["spec"]["template"]
    assert service["spec"]["selector"] == pod["metadata"]["labels"]
    port_names = {port["name"] for port in pod["spec"]["containers"][0]["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in port_names


def test_the_image_serves_the_mounted_routes() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    container = manifest("deployment.yaml")["spec"]["template"]["spec"]["containers"][0]
    assert '"/etc/wasmkit/modules.toml"' in dockerfile
    assert container["args"][container["args"].index("serve") + 1] == "/etc/wasmkit/modules.toml"
    assert "EXPOSE 8080" in dockerfile and '"0.0.0.0:8080"' in dockerfile
