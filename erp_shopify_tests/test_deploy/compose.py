"""deploy/docker-compose.yaml read as Docker Compose reads it, and its services turned into local
processes: the same command and environment, with only what a container network and image provide
replaced (service hostnames and ports by loopback ones, paths inside the image by local ones, the
image's entry points by this virtualenv's)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yaml"
PROJECT_IMAGE = "deploy/Dockerfile"
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
_PORT_FLAGS = ("--port", "-p")
_HOST_FLAGS = ("--host", "-h")


class MissingVariable(Exception):
    """A ``${NAME:?message}`` whose variable is unset or empty."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}``, ``${NAME:?error}`` and ``$$`` (a literal ``$``)."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        if name is None:
            return "$"
        value = variables.get(name, "")
        if value:
            return value
        if op and op.endswith("?"):
            raise MissingVariable(f"{name}: {arg}")
        return arg if op and op.endswith("-") else ""

    return _VARIABLE.sub(replace, text)


def _interpolated(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, dict):
        return {key: _interpolated(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolated(value, variables) for value in node]
    return node


def load_compose(variables: Mapping[str, str]) -> dict[str, Any]:
    """The compose file with its anchors and merge keys resolved and ``variables`` (deploy/.env)
    interpolated."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return _interpolated(data, variables)


def project_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from the project image (ours), by name."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("build", {}).get("dockerfile") == PROJECT_IMAGE
    }


def dockerfile_env() -> dict[str, str]:
    """The ``ENV`` the project image sets (``KEY=value`` pairs, continued lines joined)."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            found.update(pair.split("=", 1) for pair in line[4:].split())  # type: ignore[misc]
    return found


@dataclass(frozen=True)
class Network:
    """What stands in for the compose network and the image on this machine."""

    hosts: dict[str, tuple[str, int]]  # "service:port" as the containers say it -> loopback host, port
    paths: dict[str, str]  # a path inside the image -> a local one
    overrides: dict[str, str]  # environment values this machine's own stores need (database, role)

    def address(self, value: str) -> str:
        """A value with each ``service:port`` (or a bare service name) replaced by its loopback one."""
        for inside, (host, port) in self.hosts.items():
            name = inside.split(":")[0]
            if value == name:
                return host
            value = value.replace(inside, f"{host}:{port}")
        return value

    def path(self, value: str) -> str:
        for inside, local in self.paths.items():
            value = value.replace(inside, local)
        return value


def entry_point(name: str) -> str:
    """A console script (``dagster``, ``erp-shopify``...) of this virtualenv, as the image has it on PATH."""
    return str(Path(sys.executable).parent / name)


def local_command(command: list[str], network: Network, ports: dict[str, int]) -> list[str]:
    """The service's command with its listening port and interface on loopback, paths local and its
    entry point this virtualenv's."""
    argv = [entry_point(command[0]), *command[1:]]
    for i, token in enumerate(argv[:-1]):
        following = argv[i + 1]
        if token in _PORT_FLAGS:
            argv[i + 1] = str(ports[following])
        elif token in _HOST_FLAGS and following == "0.0.0.0":
            argv[i + 1] = "127.0.0.1"
    return [network.path(token) for token in argv]


def local_environment(service: Mapping[str, Any], network: Network) -> dict[str, str]:
    """The service's environment with loopback addresses and local paths; of this machine's only
    what any process needs (PATH with this virtualenv first, HOME, LANG), so a variable the compose
    file forgot is missing here too."""
    env = {name: network.path(network.address(str(value))) for name, value in service["environment"].items()}
    env.update({k: v for k, v in network.overrides.items() if k in env})
    base = {k: os.environ[k] for k in ("HOME", "LANG", "TMPDIR") if k in os.environ}
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**base, "PATH": path, **env}


@contextmanager
def started(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen]:
    """A process in a session of its own (so its children, e.g. the runs a code server launches, are
    stopped with it), its output in ``log``."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen, grace: float = 20.0) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
