"""deploy/: the image, compose, the systemd units and the env example agree with the code.

No Docker engine runs here, so nothing is built or started. These are static checks, tied to
the code wherever the files name something the code defines: the secret file names come from
``Settings.model_fields`` (``trunkbot_<field>``), the state path from ``default_state_dir``,
the stop timeouts from the drain time, the "don't restart" exit code from the CLI. The compose
files are parsed as YAML (PyYAML in this venv or the system's python3), the units by
``systemd-analyze verify`` and ``systemd-analyze security`` when systemd's tools are installed.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.cli import EXIT_USAGE, _parser
from bot.intake.dispatch import DRAIN_SECONDS
from bot.settings import ENV_PREFIX, Settings, default_state_dir, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
COMPOSE_PG = DEPLOY / "compose.postgres.yaml"
COMPOSE_SERVE = DEPLOY / "compose.serve.yaml"
COMPOSE_REPLICAS = DEPLOY / "compose.replicas.yaml"
CADDYFILE = DEPLOY / "Caddyfile.replicas"
SERVE_UNIT = DEPLOY / "trunkbot-serve.service"
UNIT = DEPLOY / "trunkbot.service"
CHECK_UNIT = DEPLOY / "trunkbot-check.service"
ENV_EXAMPLE = DEPLOY / "trunkbot.env.example"
README = DEPLOY / "README.md"
DOCKERIGNORE = ROOT / ".dockerignore"

FIELDS = frozenset(Settings.model_fields)
#: Settings given only as files: the SecretStr ones, and the database URL (it holds the password).
FILE_ONLY = frozenset(
    name for name, info in Settings.model_fields.items() if "SecretStr" in str(info.annotation)
) | {"database_url"}
#: Variables that steer where settings come from, not settings themselves.
META_VARS = frozenset({f"{ENV_PREFIX}CONFIG", f"{ENV_PREFIX}SECRETS_DIR"})
SERVICE_APP = {"service_app_client_id", "service_app_client_secret", "service_app_refresh_token"}


def known_variable(var: str) -> bool:
    """TRUNKBOT_<FIELD>, TRUNKBOT_<FIELD>_FILE, TRUNKBOT_CONFIG or TRUNKBOT_SECRETS_DIR."""
    if var in META_VARS:
        return True
    name = var.removeprefix(ENV_PREFIX).lower()
    return name in FIELDS or (name.endswith("_file") and name.removesuffix("_file") in FIELDS)


def secret_file_field(file_name: str) -> str | None:
    """The setting a secrets-directory file feeds: trunkbot_<field> -> field."""
    prefix = ENV_PREFIX.lower()
    if not file_name.startswith(prefix):
        return None
    field = file_name.removeprefix(prefix)
    return field if field in FIELDS else None


def test_the_mapping_helpers_match_the_settings_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule the other tests rely on, proven: a file trunkbot_<field> sets <field>."""
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "trunkbot_bot_token").write_text("bot-value\n")
    (secrets / "trunkbot_service_app_client_id").write_text("client-value\n")
    monkeypatch.setenv(f"{ENV_PREFIX}SECRETS_DIR", str(secrets))
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "bot-value"
    assert settings.service_app_client_id == "client-value"
    assert secret_file_field("trunkbot_bot_token") == "bot_token"
    assert secret_file_field("trunkbot_no_such_setting") is None
    assert known_variable("TRUNKBOT_BOT_TOKEN_FILE")
    assert not known_variable("TRUNKBOT_BOT_TOKENS")


# --- YAML --------------------------------------------------------------------------------

_YAML_TO_JSON = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"


@cache
def _system_pythons() -> tuple[str, ...]:
    found = [p for p in ("/usr/bin/python3", shutil.which("python3")) if p]
    return tuple(dict.fromkeys(found))


def load_yaml(path: Path) -> Any:
    """Parse with PyYAML: this venv's, else the system python3's; skip when there is none."""
    text = path.read_text(encoding="utf-8")
    try:
        import yaml  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        return yaml.safe_load(text)
    for python in _system_pythons():
        result = subprocess.run(  # noqa: S603 - a fixed interpreter path and a fixed program
            [python, "-c", _YAML_TO_JSON],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode == 0:
            return json.loads(result.stdout)
        if "No module named 'yaml'" not in result.stderr:
            pytest.fail(f"{path.name} is not valid YAML:\n{result.stderr}")
    pytest.skip("no YAML parser here (PyYAML in neither this venv nor the system python3)")


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|min)?", str(duration).strip())
    assert match, f"unreadable duration {duration!r}"
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * {"ms": 0.001, "s": 1, "m": 60, "min": 60}[unit]


# --- compose -----------------------------------------------------------------------------


def test_compose_secret_targets_are_settings_file_names_textually() -> None:
    """Without any YAML parser: every secret target is trunkbot_<a real setting>."""
    for path in (COMPOSE, COMPOSE_PG, COMPOSE_SERVE, COMPOSE_REPLICAS):
        targets = re.findall(r"^\s*target:\s*(trunkbot_\w+)\s*$", path.read_text(), re.M)
        assert targets, f"{path.name} mounts no trunkbot_* secret"
        for target in targets:
            assert secret_file_field(target), f"{path.name}: {target} is no setting's file name"


def test_compose_runs_the_bot_hardened_with_secret_files() -> None:
    doc = load_yaml(COMPOSE)
    bot = doc["services"]["trunkbot"]

    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert bot["restart"] == "unless-stopped"
    assert bot["stop_signal"] == "SIGTERM"
    assert seconds(bot["stop_grace_period"]) >= DRAIN_SECONDS + 5
    assert bot["read_only"] is True
    assert any(t.split(":")[0] == "/tmp" for t in bot["tmpfs"])  # noqa: S108 - the mount point
    assert bot["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in bot["security_opt"]
    assert "ports" not in bot, "the bot only connects out; nothing should listen"
    assert bot.get("env_file") == "trunkbot.env"

    # Secrets: each mounted as /run/secrets/trunkbot_<field>, from ./secrets/<field>.
    declared = doc["secrets"]
    targets = {}
    for entry in bot["secrets"]:
        assert isinstance(entry, dict), "give every secret an explicit target"
        source, target = entry["source"], entry["target"]
        field = secret_file_field(target)
        assert field == source, f"secret {source} is mounted as {target}"
        assert declared[source] == {"file": f"./secrets/{source}"}
        targets[field] = target
    assert {"bot_token"} | SERVICE_APP <= set(targets)

    # No secret (or any setting) inline in the compose file's environment.
    environment = bot.get("environment") or {}
    for var in environment:
        assert known_variable(var), f"{var} is not a Trunkbot setting"
        assert var.removeprefix(ENV_PREFIX).lower() not in FILE_ONLY, f"{var} must be a file"

    # The policy is the image's TRUNKBOT_POLICY, read-only; the state volume is the state dir.
    volumes = {v["target"]: v for v in bot["volumes"]}
    policy = volumes[dockerfile_env()["TRUNKBOT_POLICY"]]
    assert policy["type"] == "bind"
    assert policy["read_only"] is True
    state = volumes[str(image_state_dir())]
    assert state["type"] == "volume"
    assert state["source"] in doc["volumes"]


def test_compose_postgres_adds_the_database_url_secret_and_a_healthy_postgres() -> None:
    doc = load_yaml(COMPOSE_PG)
    bot = doc["services"]["trunkbot"]
    (entry,) = bot["secrets"]
    assert secret_file_field(entry["target"]) == "database_url"
    assert doc["secrets"][entry["source"]] == {"file": "./secrets/database_url"}
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"

    postgres = doc["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    env = postgres["environment"]
    assert "POSTGRES_PASSWORD" not in env, "the password comes from a secret file"
    assert env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "postgres_password" in postgres["secrets"]
    assert doc["secrets"]["postgres_password"] == {"file": "./secrets/postgres_password"}
    assert "healthcheck" in postgres
    assert "ports" not in postgres, "the database is for the bot only"
    assert set(doc["volumes"]) == {"pgdata"}


def test_compose_postgres_builds_the_image_with_the_postgres_extra() -> None:
    """PostgreSQL's driver is an extra: the overlay builds the image with it, under its own tag."""
    bot = load_yaml(COMPOSE_PG)["services"]["trunkbot"]
    extras = bot["build"]["args"]["EXTRAS"]
    assert extras in pyproject()["project"]["optional-dependencies"]
    assert any("psycopg" in d for d in pyproject()["project"]["optional-dependencies"][extras])
    assert bot["image"] != load_yaml(COMPOSE)["services"]["trunkbot"]["image"]


def test_compose_serve_runs_webhook_mode_on_loopback_with_its_secret() -> None:
    """`serve` on 0.0.0.0 in the container, published on the host's 127.0.0.1 only; the
    webhook secret as a file; a health check on /healthz of the same port."""
    doc = load_yaml(COMPOSE_SERVE)
    bot = doc["services"]["trunkbot"]
    command = bot["command"]
    args = _parser().parse_args(command)  # the CLI itself accepts it
    assert args.command == "serve"
    assert args.host == "0.0.0.0"  # noqa: S104 - inside the container, published below
    (published,) = bot["ports"]
    host_ip, host_port, container_port = str(published).split(":")
    assert host_ip == "127.0.0.1", "plain HTTP: only the reverse proxy on the host reaches it"
    assert int(container_port) == args.port
    assert int(host_port) > 0
    (entry,) = bot["secrets"]
    assert entry == {"source": "webhook_secret", "target": "trunkbot_webhook_secret"}
    assert secret_file_field(entry["target"]) == "webhook_secret"
    assert doc["secrets"]["webhook_secret"] == {"file": "./secrets/webhook_secret"}
    probe = " ".join(bot["healthcheck"]["test"])
    assert f"http://127.0.0.1:{args.port}/healthz" in probe
    assert probe.startswith("CMD python"), "the image has python, not curl"
    # The base file's hardening still applies: the overlay adds, never loosens.
    for key in ("read_only", "cap_drop", "security_opt", "user", "privileged", "network_mode"):
        assert key not in bot, key


# --- compose.replicas.yaml: two webhook replicas on PostgreSQL behind Caddy ---------------

REPLICAS = ("trunkbot-1", "trunkbot-2")


def _replica_ports() -> dict[str, int]:
    services = load_yaml(COMPOSE_REPLICAS)["services"]
    return {name: _parser().parse_args(services[name]["command"]).port for name in REPLICAS}


def test_compose_replicas_cross_references_hold() -> None:
    """Every secret, volume and dependency a service names is declared, every declared one
    is used, and every secret file lives in ./secrets/ (what `docker compose config` checks
    first; no Docker engine or compose plugin runs here)."""
    doc = load_yaml(COMPOSE_REPLICAS)
    services = doc["services"]
    assert set(services) == {*REPLICAS, "proxy", "postgres"}
    used_secrets: set[str] = set()
    used_volumes: set[str] = set()
    for name, service in services.items():
        for entry in service.get("secrets", []):
            source = entry["source"] if isinstance(entry, dict) else entry
            assert source in doc["secrets"], f"{name} uses the undeclared secret {source}"
            used_secrets.add(source)
        for volume in service.get("volumes", []):
            if volume["type"] == "volume":
                assert volume["source"] in doc["volumes"], f"{name}: {volume['source']}"
                used_volumes.add(volume["source"])
            elif volume["type"] == "bind":
                source = volume["source"]
                assert volume["read_only"] is True, f"{name} binds {source} writable"
                if source != "./policy.toml":  # the operator's copy of policy.example.toml
                    assert (DEPLOY / source).is_file(), f"{name} binds the missing {source}"
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on the unknown {dependency}"
    assert used_secrets == set(doc["secrets"])
    assert used_volumes == set(doc["volumes"])
    for source, declared in doc["secrets"].items():
        assert declared == {"file": f"./secrets/{source}"}


def test_compose_replicas_runs_two_identical_hardened_serve_replicas_on_postgres() -> None:
    doc = load_yaml(COMPOSE_REPLICAS)
    services = doc["services"]
    first, second = (services[name] for name in REPLICAS)
    assert first == second, "the two replicas differ only by name"
    bot = first
    args = _parser().parse_args(bot["command"])
    assert args.command == "serve"
    assert args.host == "0.0.0.0"  # noqa: S104 - on the compose network, for the proxy
    assert "ports" not in bot, "only the proxy is published"
    assert bot["build"]["args"]["EXTRAS"] == "postgres"
    assert bot["image"] == load_yaml(COMPOSE_PG)["services"]["trunkbot"]["image"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["stop_signal"] == "SIGTERM"
    assert seconds(bot["stop_grace_period"]) >= DRAIN_SECONDS + 5
    assert bot["read_only"] is True
    assert bot["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in bot["security_opt"]
    tmpfs = {t.split(":")[0] for t in bot["tmpfs"]}
    assert {"/tmp", str(image_state_dir())} <= tmpfs  # noqa: S108 - the mount points
    assert bot["env_file"] == "trunkbot.env"
    fields = {secret_file_field(e["target"]): e["source"] for e in bot["secrets"]}
    assert set(fields) == {"bot_token", "webhook_secret", "database_url"} | SERVICE_APP
    assert all(field == source for field, source in fields.items())
    probe = " ".join(bot["healthcheck"]["test"])
    assert f"http://127.0.0.1:{args.port}/readyz" in probe
    assert probe.startswith("CMD python"), "the image has python, not curl"
    policy = next(v for v in bot["volumes"] if v["source"] == "./policy.toml")
    assert policy["target"] == dockerfile_env()["TRUNKBOT_POLICY"]

    postgres = services["postgres"]
    assert postgres == load_yaml(COMPOSE_PG)["services"]["postgres"], "one PostgreSQL setup"


def test_compose_replicas_proxy_is_caddy_on_loopback_hardened() -> None:
    proxy = load_yaml(COMPOSE_REPLICAS)["services"]["proxy"]
    assert re.fullmatch(r"caddy:2(\.\d+)*(-alpine)?", proxy["image"])
    (published,) = proxy["ports"]
    host_ip, _, container_port = str(published).split(":")
    assert host_ip == "127.0.0.1", "plain HTTP: only the TLS edge on the host reaches it"
    (config,) = proxy["volumes"]
    assert (DEPLOY / config["source"]).resolve() == CADDYFILE
    assert config["target"] == "/etc/caddy/Caddyfile"
    assert f":{container_port} {{" in CADDYFILE.read_text(encoding="utf-8")
    assert proxy["read_only"] is True
    assert proxy["cap_drop"] == ["ALL"]
    assert set(proxy.get("cap_add", [])) <= {"NET_BIND_SERVICE"}
    assert "no-new-privileges:true" in proxy["security_opt"]
    assert set(proxy["depends_on"]) == set(REPLICAS)
    probe = proxy["healthcheck"]["test"]
    assert f"http://127.0.0.1:{container_port}/proxy-healthz" in probe


def _caddy_directive(text: str, name: str) -> list[str]:
    """The arguments of every `name ...` line of a Caddyfile (comments dropped)."""
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if words and words[0] == name:
            out.append(" ".join(w for w in words[1:] if w != "{"))
    return out


def test_caddyfile_sends_webhooks_to_both_replicas_checking_readyz() -> None:
    text = CADDYFILE.read_text(encoding="utf-8")
    (upstreams,) = _caddy_directive(text, "reverse_proxy")
    expected = {f"{name}:{port}" for name, port in _replica_ports().items()}
    assert set(upstreams.split()) == expected
    assert _caddy_directive(text, "handle")[0] == "/webhook"
    (health,) = _caddy_directive(text, "health_uri")
    assert health == "/readyz"


def test_caddy_itself_reads_the_caddyfile() -> None:
    """`caddy adapt` (Caddy from Debian, .ci/install-caddy.sh) parses the file the proxy
    loads; its JSON says what the proxy does: /webhook to both replicas, /readyz checked."""
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (.ci/install-caddy.sh installs it)")
    result = subprocess.run(  # noqa: S603 - the system's caddy on our own file
        [caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["admin"] == {"disabled": True}
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":8080"]
    proxies = [
        handler
        for route in server["routes"]
        if route.get("match") == [{"path": ["/webhook"]}]
        for sub in route["handle"]
        for inner in sub["routes"]
        for handler in inner["handle"]
        if handler["handler"] == "reverse_proxy"
    ]
    (proxy,) = proxies
    dials = {u["dial"] for u in proxy["upstreams"]}
    assert dials == {f"{name}:{port}" for name, port in _replica_ports().items()}
    assert proxy["health_checks"]["active"]["uri"] == "/readyz"
    assert proxy["load_balancing"]["try_duration"] > 0


def test_no_deploy_file_calls_serve_planned() -> None:
    """`trunkbot serve` exists: nothing in deploy/ may still call it planned."""
    for path in sorted(DEPLOY.iterdir()):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\bserve\b[^\n]{0,60}\bplanned\b", text), path.name


def test_deploy_readme_lists_every_file() -> None:
    text = README.read_text(encoding="utf-8")
    for path in sorted(DEPLOY.iterdir()):
        if path.is_file() and path.name != "README.md":
            assert f"| `{path.name}` |" in text, path.name


def test_secret_files_are_kept_out_of_git_and_the_image() -> None:
    ignore = (DEPLOY / "secrets" / ".gitignore").read_text().split()
    assert "*" in ignore
    assert "deploy/secrets" in dockerignore_patterns()


# --- Dockerfile --------------------------------------------------------------------------


@cache
def dockerfile_instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return tuple(out)


def final_stage() -> list[tuple[str, str]]:
    instructions = list(dockerfile_instructions())
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


@cache
def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in final_stage():
        if keyword == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def image_state_dir() -> Path:
    """Where Trunkbot keeps state given the image's XDG_STATE_HOME (default_state_dir)."""
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = dockerfile_env()["XDG_STATE_HOME"]
    try:
        return default_state_dir()
    finally:
        if old is None:
            del os.environ["XDG_STATE_HOME"]
        else:
            os.environ["XDG_STATE_HOME"] = old


def test_dockerfile_is_multi_stage_slim_and_runs_as_a_fixed_non_root_user() -> None:
    froms = [args for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert len(froms) >= 2, "a builder stage and a runtime stage"
    for image in froms:
        assert re.match(r"python:\$\{PYTHON_VERSION\}-slim\b|python:3\.1[1-9]-slim\b", image)
    args = {
        a.partition("=")[0]: a.partition("=")[2] for k, a in dockerfile_instructions() if k == "ARG"
    }
    assert re.fullmatch(r"3\.1[1-9]", args["PYTHON_VERSION"])

    stage = final_stage()
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, "the runtime stage must switch to a non-root user"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), "a numeric UID, so Kubernetes' runAsNonRoot can verify it"
    assert int(uid) >= 10000
    assert gid.isdigit()
    assert int(gid) != 0
    runs = " ".join(args for keyword, args in stage if keyword == "RUN")
    assert f"--uid {uid}" in runs
    assert f"--gid {gid}" in runs
    # The state directory exists, belongs to that user, and is the volume.
    state = str(image_state_dir())
    assert re.search(rf"install -d -o {uid} -g {gid} -m 0700 {re.escape(state)}\b", runs)
    volumes = [json.loads(a) for k, a in stage if k == "VOLUME"]
    assert [state] in volumes

    assert (("WORKDIR", "/app")) in stage
    assert ("STOPSIGNAL", "SIGTERM") in stage
    entrypoint = [json.loads(a) for k, a in stage if k == "ENTRYPOINT"]
    assert entrypoint == [["trunkbot"]]
    assert [json.loads(a) for k, a in stage if k == "CMD"] == [["run"]]
    assert any(k == "COPY" and a.startswith("--from=") for k, a in stage)


def test_dockerfile_bakes_no_secret_and_sets_only_real_settings() -> None:
    for keyword, args in dockerfile_instructions():
        if keyword not in {"ENV", "ARG", "LABEL"}:
            continue
        for item in shlex.split(args):
            name = item.partition("=")[0]
            if name.startswith(ENV_PREFIX):
                assert known_variable(name), f"{keyword} {name} is not a Trunkbot setting"
                field = name.removeprefix(ENV_PREFIX).lower().removesuffix("_file")
                assert field not in FILE_ONLY, f"{keyword} {name}: secrets come at run time"
            else:
                assert not re.search(r"(?i)token|secret|passw", name), f"{keyword} {name}"
    env = dockerfile_env()
    assert env["TRUNKBOT_SECRETS_DIR"] == "/run/secrets"
    assert env["TRUNKBOT_POLICY"] == "/etc/trunkbot/policy.toml"


#: Packages of the distribution that never reach the image (README, "For developers").
DEV_ONLY_PACKAGES = frozenset({"webexfake"})


def test_dockerfile_copies_everything_the_package_build_needs() -> None:
    """Every package pyproject includes, its readme and pyproject itself reach the builder."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    copied: set[str] = set()
    for keyword, args in dockerfile_instructions():
        if keyword == "COPY" and not args.startswith("--from"):
            *sources, _dest = shlex.split(args)
            copied |= {s.rstrip("/") for s in sources}
    assert "pyproject.toml" in copied
    assert project["project"]["readme"] in copied
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        top = pattern.split(".")[0].rstrip("*")
        if top in DEV_ONLY_PACKAGES:  # the fake Webex and its demo credentials stay out
            assert top not in copied, f"{top} is a development tool: keep it out of the image"
            assert top in dockerignore_patterns(), f".dockerignore should exclude {top}"
            continue
        assert top in copied, f"package {top} (pyproject) is not copied into the image"
    assert "trunkbot" in project["project"]["scripts"], "ENTRYPOINT runs `trunkbot`"


@cache
def dockerignore_patterns() -> tuple[str, ...]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return tuple(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))


def test_dockerignore_keeps_junk_and_secrets_out_but_not_the_sources() -> None:
    patterns = dockerignore_patterns()
    for needed in (".git", ".venv", ".env", "*.db", "tests/cards/node_modules"):
        assert needed in patterns, f".dockerignore should exclude {needed}"
    must_reach = ["pyproject.toml", "README.md", "bot/__init__.py", "commands/__init__.py"]
    must_reach += ["bot/sample-policy.toml", "bot/py.typed", "deploy/Dockerfile"]
    for path in must_reach:
        assert (ROOT / path).exists(), path
        for pattern in patterns:
            if pattern.startswith("!"):
                continue
            bare = pattern.removeprefix("**/")
            hit = fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, bare)
            hit = hit or any(path.startswith(p.rstrip("/") + "/") for p in (pattern, bare))
            assert not hit, f".dockerignore pattern {pattern!r} would drop {path}"


# --- systemd -----------------------------------------------------------------------------


def unit_directives(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) for every directive of a unit file, in order."""
    section = ""
    out: list[tuple[str, str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a directive: {line!r}"
        out.append((section, key.strip(), value.strip()))
    return out


def service(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for section, key, value in unit_directives(path):
        if section == "Service":
            out.setdefault(key, []).append(value)
    return out


def unit_environment(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for value in service(path).get("Environment", []):
        for item in shlex.split(value):
            key, _, val = item.partition("=")
            env[key] = val
    return env


def credential_dir_files() -> set[str]:
    """The credential file names the unit, the README and the env example talk about."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (UNIT, README))
    names = set(re.findall(r"/etc/trunkbot/credentials/([a-z_]+)", text))
    names |= set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|\s*`TRUNKBOT_", text, re.M))
    names |= set(re.findall(r"^put ([a-z_]+)$", text, re.M))
    return names


def test_unit_loads_credentials_under_the_names_settings_read() -> None:
    svc = service(UNIT)
    env = unit_environment(UNIT)
    assert env["TRUNKBOT_SECRETS_DIR"] == "%d", "the credentials directory is the secrets dir"
    prefix = ENV_PREFIX.lower()
    loaded = svc["LoadCredential"]
    assert loaded
    for spec in loaded:
        cred_id, _, source = spec.partition(":")
        assert source.startswith("/etc/trunkbot/credentials")
        if source.rstrip("/") == "/etc/trunkbot/credentials":
            # A directory: each file F becomes the credential <id>_F, which must be trunkbot_F.
            assert cred_id + "_" == prefix
        else:
            assert secret_file_field(cred_id), f"LoadCredential {cred_id} feeds no setting"
    # Every file name the docs tell the admin to create reaches a real setting that way.
    files = credential_dir_files()
    assert {"bot_token", "database_url"} | SERVICE_APP <= files
    for name in files:
        assert secret_file_field(prefix + name), f"credential file {name} feeds no setting"
    # The per-file form shown for older systemd uses the same names.
    for cred_id, name in re.findall(
        r"LoadCredential=(\w+):/etc/trunkbot/credentials/(\w+)", UNIT.read_text()
    ):
        assert cred_id == prefix + name
        assert secret_file_field(cred_id)


def test_unit_runs_stops_and_restarts_the_way_the_code_behaves() -> None:
    svc = service(UNIT)
    assert svc["ExecStart"] == ["/opt/trunkbot/.venv/bin/trunkbot run"]
    assert svc["KillSignal"] == ["SIGTERM"]
    assert seconds(svc["TimeoutStopSec"][-1]) >= DRAIN_SECONDS + 5
    assert svc["Restart"] == ["on-failure"]
    assert svc["RestartPreventExitStatus"] == [str(EXIT_USAGE)]
    # State: XDG_STATE_HOME=%S (/var/lib) makes Trunkbot's state dir the StateDirectory.
    env = unit_environment(UNIT)
    assert env["XDG_STATE_HOME"] == "%S"
    (state,) = svc["StateDirectory"]
    assert default_state_dir().name == state == "trunkbot"
    assert env["TRUNKBOT_POLICY"] == dockerfile_env()["TRUNKBOT_POLICY"]
    for var in env:
        if var.startswith(ENV_PREFIX):
            assert known_variable(var), var
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "DynamicUser"):
        assert svc[key] == ["yes"], key
    assert svc["ProtectSystem"] == ["strict"]
    assert svc["ConfigurationDirectory"] == ["trunkbot"]


def test_check_unit_is_the_service_with_check_instead_of_run() -> None:
    """Same identity, credentials, settings and hardening; only how it runs differs."""
    run, check = service(UNIT), service(CHECK_UNIT)
    assert check["ExecStart"] == ["/opt/trunkbot/.venv/bin/trunkbot check"]
    assert check["Type"] == ["oneshot"]
    lifecycle = {"Type", "ExecStart", "Restart", "RestartSec", "RestartPreventExitStatus"}
    lifecycle |= {"KillSignal", "TimeoutStopSec"}
    shared_run = {k: v for k, v in run.items() if k not in lifecycle}
    shared_check = {k: v for k, v in check.items() if k not in lifecycle}
    assert shared_check == shared_run


def test_serve_unit_is_the_service_in_webhook_mode() -> None:
    """trunkbot-serve.service: trunkbot.service running `serve` on loopback; they conflict."""
    run, serve = service(UNIT), service(SERVE_UNIT)
    (exec_start,) = serve["ExecStart"]
    program, *argv = shlex.split(exec_start)
    assert program == "/opt/trunkbot/.venv/bin/trunkbot"
    args = _parser().parse_args(argv)
    assert (args.command, args.host) == ("serve", "127.0.0.1")
    assert {k: v for k, v in serve.items() if k != "ExecStart"} == {
        k: v for k, v in run.items() if k != "ExecStart"
    }
    unit = [(k, v) for section, k, v in unit_directives(SERVE_UNIT) if section == "Unit"]
    assert ("Conflicts", UNIT.name) in unit
    install = [(k, v) for s, k, v in unit_directives(SERVE_UNIT) if s == "Install"]
    assert install == [("WantedBy", "multi-user.target")]


def _verifiable_copy(unit: Path, tmp_path: Path) -> Path:
    """systemd-analyze checks ExecStart exists: point it at this venv's trunkbot."""
    trunkbot = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "trunkbot"
    if not trunkbot.exists():
        found = shutil.which("trunkbot")
        if found is None:
            pytest.skip("no installed trunkbot to stand in for /opt/trunkbot/.venv/bin/trunkbot")
        trunkbot = Path(found)
    text = unit.read_text(encoding="utf-8").replace(
        "/opt/trunkbot/.venv/bin/trunkbot", str(trunkbot)
    )
    copy = tmp_path / unit.name
    copy.write_text(text, encoding="utf-8")
    return copy


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed here"
)


@needs_systemd_analyze
@pytest.mark.parametrize("unit", [UNIT, CHECK_UNIT, SERVE_UNIT], ids=lambda p: p.name)
def test_unit_passes_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    copy = _verifiable_copy(unit, tmp_path)
    result = subprocess.run(  # noqa: S603 - systemd-analyze on our own unit file
        [SYSTEMD_ANALYZE, "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify exits 0 even for unknown keys and bad values, but says so on stderr.
    complaints = [line for line in result.stderr.splitlines() if copy.name in line]
    assert result.returncode == 0, result.stderr
    assert not complaints, "\n".join(complaints)


@needs_systemd_analyze
@pytest.mark.parametrize("unit", [UNIT, SERVE_UNIT], ids=lambda p: p.name)
def test_unit_hardening_scores_ok_in_systemd_analyze_security(unit: Path, tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    copy = _verifiable_copy(unit, tmp_path)
    result = subprocess.run(  # noqa: S603 - systemd-analyze on our own unit file
        [SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    if match is None and "offline" in result.stderr:
        pytest.skip("this systemd-analyze has no --offline security mode")
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0, result.stdout


# --- env example, README ----------------------------------------------------------------


def env_example_lines() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(active assignments, commented-out assignments) as (NAME, value)."""
    active, commented = [], []
    for raw in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = re.fullmatch(r"#\s*([A-Z][A-Z0-9_]*)=(\S*)", line)
            if match:
                commented.append((match.group(1), match.group(2)))
            continue
        name, sep, value = line.partition("=")
        assert sep, f"not NAME=value: {line!r}"
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"bad variable name {name!r}"
        assert not re.search(r"\s#", value), "comments go on their own line (systemd)"
        active.append((name, value))
    return active, commented


def test_env_example_documents_every_setting_and_only_real_ones() -> None:
    active, commented = env_example_lines()
    mentioned = {name for name, _ in active + commented if name.startswith(ENV_PREFIX)}
    for name in mentioned:
        assert known_variable(name), f"{name} is not a Trunkbot setting"
    for field in FIELDS:
        var = f"{ENV_PREFIX}{field.upper()}"
        assert var in mentioned or f"{var}_FILE" in mentioned, (
            f"{var} is missing from deploy/trunkbot.env.example: add it with a comment"
        )
    # Secrets are only ever pointed to as files, never given as values.
    for name, _ in active + commented:
        if name.startswith(ENV_PREFIX) and name not in META_VARS:
            field = name.removeprefix(ENV_PREFIX).lower()
            if field in FILE_ONLY:
                pytest.fail(f"{name} in the env example: use {name}_FILE or a secret file")
            if field.endswith("_file"):
                assert not any(n == name for n, _ in active), f"{name} is only an example"


def test_env_example_active_values_are_valid_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(f"{ENV_PREFIX}SECRETS_DIR", str(tmp_path / "none"))
    active, _ = env_example_lines()
    assert active, "the example should set something (the log format)"
    for name, value in active:
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.log_format == "json"


def test_readme_secret_table_names_real_settings() -> None:
    rows = re.findall(
        r"^\|\s*`([a-z_]+)`\s*\|\s*`(TRUNKBOT_[A-Z_]+)`\s*\|", README.read_text(), re.M
    )
    assert {name for name, _ in rows} >= {"bot_token", "database_url"} | SERVICE_APP
    for name, var in rows:
        assert var == f"{ENV_PREFIX}{name.upper()}"
        assert name in FIELDS


def test_every_trunkbot_variable_named_in_deploy_is_real() -> None:
    for path in [*sorted(DEPLOY.iterdir()), DOCKERIGNORE]:
        if not path.is_file():
            continue
        for var in re.findall(r"\bTRUNKBOT_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")):
            assert known_variable(var), f"{path.name} names {var}, which is no setting"


# --- no secrets in deploy/ ---------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^(<[^>]*>|%s|\.\.\.|\$\w+|\$\{[^}]*\}|[A-Z_]+|/.*|\./.*|~/.*)$")
_SECRET_PATTERNS = [
    ("bearer token", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})")),
    (
        "token-like string",
        re.compile(r"(?<![\w/.-])((?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{32,})(?![\w/.-])"),
    ),
    ("password in a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/\s@]+:([^@\s/]+)@")),
    # NAME=value, also in a commented-out example line.
    (
        "secret assignment",
        re.compile(r"(?im)^[ \t]*#?[ \t]*(?:export[ \t]+)?\w*(?:passw|secret|token)\w*=([^\s#]+)"),
    ),
    # A YAML key with its value on the same line; not a Kubernetes reference to a Secret
    # object by its name (secretName:) nor a yes/no switch (automountServiceAccountToken:).
    (
        "secret assignment",
        re.compile(
            r"(?im)^[ \t]*-?[ \t]*\w*(?:passw|secret|token)\w*(?<!Name):[ \t]+"
            r"(?!(?:true|false)\s)([^\s#]+)"
        ),
    ),
]


def secret_findings(text: str) -> list[str]:
    found = []
    for label, pattern in _SECRET_PATTERNS:
        for match in pattern.finditer(text):
            value = match.group(1)
            if label in {"password in a URL", "secret assignment"} and _PLACEHOLDER.match(value):
                continue
            if text[max(0, match.start(1) - 7) : match.start(1)] == "sha256:":
                continue  # a package hash in a lock file
            found.append(f"{label}: {match.group(0)[:60]}")
    return found


def test_the_secret_detector_finds_secrets() -> None:
    """The scan below would notice a real token, a bearer header or a password in a URL."""
    fake = "ZmFrZS10b2tlbi0xMjM0NTY3ODkwYWJjZGVm_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f"
    assert secret_findings(f"TRUNKBOT_BOT_TOKEN={fake}")
    assert secret_findings("Authorization: Bearer abcdefgh12345678")
    assert secret_findings("postgresql://trunkbot:hunter2hunter2@db:5432/trunkbot")
    assert secret_findings("    POSTGRES_PASSWORD: hunter2")
    assert secret_findings("# TRUNKBOT_ADMIN_TOKEN=abc123")
    assert secret_findings("export WEBHOOK_SECRET=abc123")
    assert not secret_findings("postgresql://USER:PASSWORD@HOST:5432/DBNAME")
    assert not secret_findings("TRUNKBOT_BOT_TOKEN_FILE=/run/secrets/trunkbot_bot_token")
    assert secret_findings("  secret: abc123\n")
    assert secret_findings("stringData:\n  bot_token: abc123\n")
    assert not secret_findings("          secretName: trunkbot-credentials\n")
    assert not secret_findings("      automountServiceAccountToken: false\n")


def test_no_secret_values_in_deploy_files() -> None:
    paths = [p for p in sorted(DEPLOY.rglob("*")) if p.is_file() and "secrets" not in p.parts]
    paths += [*sorted(DEPLOY.rglob("secrets/.gitignore")), DOCKERIGNORE]
    problems = []
    for path in paths:
        for finding in secret_findings(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT)}: {finding}")
    assert not problems, "\n".join(problems)
    # And nothing but the .gitignore lives in a secrets/ folder of deploy/ in the repository.
    tracked = subprocess.run(  # noqa: S603 - git on our own repository
        [shutil.which("git") or "git", "-C", str(ROOT), "ls-files", "deploy"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if tracked.returncode == 0:
        in_secrets = [f for f in tracked.stdout.split() if "secrets" in Path(f).parts[:-1]]
        assert in_secrets, "deploy/secrets/.gitignore is tracked"
        assert all(Path(f).name == ".gitignore" for f in in_secrets), in_secrets


# --- packaging: licence, changelog, dependencies ----------------------------------------


@cache
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_file_is_the_apache_2_text_pyproject_names() -> None:
    assert pyproject()["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert len(text) > 10_000, "the full text, not a pointer to it"


def test_changelog_has_unreleased_and_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased"
    assert pyproject()["project"]["version"] in headings
    assert "CHANGELOG.md" in README.read_text(encoding="utf-8"), "upgrade notes point at it"


def _requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower()


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    """A new major version of a dependency must not reach an image by surprise."""
    for spec in pyproject()["project"]["dependencies"]:
        assert "==" in spec or "<" in spec, f"{spec}: give it an upper bound"
    for extra, specs in pyproject()["project"]["optional-dependencies"].items():
        if extra == "test":
            continue
        for spec in specs:
            assert "==" in spec or "<" in spec, f"{extra}: {spec}: give it an upper bound"


def test_postgres_is_an_extra_that_the_tests_install() -> None:
    """SQLite-only installs carry no PostgreSQL driver; `make test` installs it."""
    project = pyproject()["project"]
    base = {_requirement_name(spec) for spec in project["dependencies"]}
    assert not base & {"psycopg", "psycopg-binary", "psycopg-pool"}
    extras = project["optional-dependencies"]
    assert {_requirement_name(spec) for spec in extras["postgres"]} == {"psycopg"}
    assert "trunkbot[postgres]" in extras["test"]
    # The image installs the extra when asked: ARG EXTRAS in the build stage feeds pip.
    instructions = list(dockerfile_instructions())
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    build = instructions[:last_from]
    assert any(k == "ARG" and a.startswith("EXTRAS") for k, a in build)
    runs = " ".join(a for k, a in build if k == "RUN")
    assert '-r "deploy/requirements${EXTRAS:+-$EXTRAS}.lock"' in runs


def _locked(path: Path) -> dict[str, str]:
    """name → pinned version of a pip-compile lock file; each pin must carry hashes."""
    text = path.read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.splitlines()[0] if block.strip() else ""
        match = re.match(r"([A-Za-z0-9._-]+)==([^ \\]+)", first)
        if match:
            assert "--hash=sha256:" in block, f"{match.group(1)} has no hash in {path.name}"
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("requirements.lock", ()), ("requirements-postgres.lock", ("postgres",))],
)
def test_the_image_installs_exactly_the_locked_dependencies(
    lock: str, extras: tuple[str, ...]
) -> None:
    """Every runtime dependency (and the extra's) is pinned with hashes in the lock the
    Dockerfile installs with --require-hashes, at a version pyproject allows."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    pins = _locked(ROOT / "deploy" / lock)
    for spec in wanted:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in deploy/{lock}: run pip-compile again"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    if not extras:
        assert "psycopg" not in pins  # the SQLite-only image doesn't carry the driver
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes" in dockerfile
    assert "--no-deps /src" in dockerfile
    ignored = dockerignore_patterns()
    assert not any(fnmatch.fnmatch(f"deploy/{lock}", p) for p in ignored), "the lock is ignored"
