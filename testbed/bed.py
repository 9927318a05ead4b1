"""The GHES-like test bed: start, stop and switch the backend registry, the front and nginx."""

from __future__ import annotations

import fcntl
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from testbed import backend_registry, certs_d, etc_hosts, nginx, plain_front, procs
from testbed.config import (
    BACKEND_PORT,
    CONTAINER_BACKEND_PORT,
    CONTAINER_HOST,
    DEFAULT_STATE_DIR,
    FLAT_HOSTNAME,
    FRONT_PORT,
    HOSTNAME,
    REGISTRY_HOST,
    Paths,
    Switches,
    load_switches,
    read_json,
    write_json,
)
from testbed.ghes.tokens import Token, generate
from testbed.pki import Pki, ensure_pki
from testbed.procs import TestbedError

CERTS_DIR = certs_d.CERTS_DIR
RESOLVED_HOSTS = (HOSTNAME, REGISTRY_HOST, FLAT_HOSTNAME, CONTAINER_HOST, plain_front.PLAIN_HOST)
PROCESSES = {"backend", "containers", "front", "nginx"}
CERT_NAMES = (*RESOLVED_HOSTS, f"docker.{FLAT_HOSTNAME}", f"*.{HOSTNAME}", "localhost")
_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class State:
    """What state.json keeps: the token table, the pid of each process, the front's port."""

    tokens: dict[str, Any] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    front_port: int = 0

    @classmethod
    def load(cls, paths: Paths) -> State:
        """Read state.json (an empty state if there is none)."""
        saved = read_json(paths.state_file)
        return cls(saved.get("tokens", {}), saved.get("pids", {}), saved.get("front_port", 0))

    def save(self, paths: Paths) -> None:
        """Write state.json, readable by root only (it holds the tokens)."""
        write_json(paths.state_file, asdict(self), mode=0o600)


class Testbed:
    """A GHES-like Docker registry and REST API on this machine, shared by tests and demos."""

    __test__ = False  # not a pytest test class, despite the name

    hostname = HOSTNAME
    flat_hostname = FLAT_HOSTNAME
    registry_host = REGISTRY_HOST
    container_host = CONTAINER_HOST
    backend_url = f"http://127.0.0.1:{BACKEND_PORT}"
    container_backend_url = f"http://127.0.0.1:{CONTAINER_BACKEND_PORT}"

    def __init__(self, state_dir: Path | str = DEFAULT_STATE_DIR) -> None:
        self.paths = Paths(Path(state_dir).absolute())
        self._nonce = ""

    @property
    def ca_file(self) -> Path:
        """The private CA's certificate (PEM) that clients must trust."""
        return Pki(self.paths.pki).ca_file

    @property
    def switches(self) -> Switches:
        """The switches in force."""
        return load_switches(self.paths)

    def token(self, name: str) -> str:
        """The value of a named token (testbed.ghes.tokens.NAMES)."""
        return self._token(name).value

    def user(self, name: str) -> str:
        """The user a named token belongs to."""
        return self._token(name).user

    def _token(self, name: str) -> Token:
        saved = State.load(self.paths).tokens
        if name not in saved:
            raise KeyError(f"no test bed token {name!r} (is the bed started?)")
        return Token.from_json(saved[name])

    def is_up(self) -> bool:
        """Whether backend, front and nginx all answer."""
        return self._healthy(State.load(self.paths))

    def start(self) -> bool:
        """Start the bed, or reuse a healthy one; True if processes were started."""
        self.paths.root.mkdir(parents=True, exist_ok=True)
        with self._lock():
            state = State.load(self.paths)
            if self._healthy(state):
                if set(_token_table()) - set(state.tokens):  # names added since it started
                    state.tokens = {**_token_table(), **state.tokens}
                    state.save(self.paths)
                etc_hosts.install_bed_names(RESOLVED_HOSTS)
                return False
            self._stop_processes(state)
            for port in (BACKEND_PORT, CONTAINER_BACKEND_PORT, FRONT_PORT):
                if not procs.port_free(port):
                    raise TestbedError(f"127.0.0.1:{port} is taken by another program; stop it")
            state = State(tokens={**_token_table(), **state.tokens})
            try:
                self._launch(state)
            except Exception:
                self._stop_processes(state)
                raise
            certs_d.remove_ours(self.ca_file, RESOLVED_HOSTS)  # an earlier bed's (it trusted them)
            etc_hosts.install_bed_names(RESOLVED_HOSTS)
            return True

    def stop(self) -> None:
        """Stop every process of the bed, remove its /etc/hosts line (and old certs.d files)."""
        if not self.paths.root.exists():
            return
        with self._lock():
            self._stop_processes(State.load(self.paths))
            etc_hosts.remove_bed_names()
            certs_d.remove_ours(self.ca_file, RESOLVED_HOSTS)

    def configure(self, **switches: bool | int) -> None:
        """Change switches (see `Switches`) and reload nginx; the front reads them per request."""
        with self._lock():
            state = State.load(self.paths)
            if not self._healthy(state):
                raise TestbedError("the test bed is not running: start it first")
            new = self.switches.replace(**switches)
            write_json(self.paths.config_file, new.as_dict())
            self._write_nginx_config(new, state.front_port)
            old_workers = procs.children(state.pids["nginx"])
            result = subprocess.run(
                nginx.command(self.paths, "-s", "reload"), capture_output=True, text=True
            )
            if result.returncode != 0:
                raise TestbedError(f"nginx reload failed: {result.stderr.strip()}")
            self._wait_for_nginx(old_workers)

    def reset(self) -> None:
        """Restore the default switches (does nothing if they are in force)."""
        if self.switches != Switches():
            self.configure(**Switches().as_dict())

    def _launch(self, state: State) -> None:
        """Start backend, front and nginx in that order, recording each pid at once."""
        paths = self.paths
        for folder in (paths.storage, paths.container_storage, paths.nginx / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        (paths.nginx / "error.log").write_bytes(b"")
        ensure_pki(paths.pki, CERT_NAMES)
        write_json(paths.config_file, Switches().as_dict())
        state.save(paths)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        self._spawn_backend(
            state, "backend", paths.backend_config, paths.storage, BACKEND_PORT, env
        )
        self._spawn_backend(
            state,
            "containers",
            paths.container_backend_config,
            paths.container_storage,
            CONTAINER_BACKEND_PORT,
            env,
        )
        paths.front_port_file.unlink(missing_ok=True)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
        front = [sys.executable, "-m", "testbed.front", "--state", str(paths.root)]
        self._spawn(state, "front", front, env, lambda: "port" in read_json(paths.front_port_file))
        state.front_port = int(read_json(paths.front_port_file)["port"])
        state.save(paths)
        self._write_nginx_config(Switches(), state.front_port)
        self._spawn(state, "nginx", nginx.command(paths), env, lambda: True)
        self._wait_for_nginx()
        if not self._healthy(state):
            raise TestbedError(f"the test bed started but is not healthy; see {paths.root}/*.log")

    def _spawn_backend(
        self, state: State, name: str, config: Path, storage: Path, port: int, env: dict[str, str]
    ) -> None:
        """Start one distribution registry on `port` with its own storage."""
        argv = backend_registry.write_config(config, storage, port)
        self._spawn(state, name, argv, env, lambda: procs.get(port, "/v2/") is not None)

    def _spawn(
        self,
        state: State,
        name: str,
        argv: list[str],
        env: dict[str, str],
        ready: Callable[[], bool],
    ) -> None:
        """Start one process, record its pid, and wait until `ready` (or it dies)."""
        log = self.paths.log(name)
        log.write_bytes(b"")
        pid = procs.spawn(argv, log, self.paths.root, env)
        state.pids[name] = pid
        state.save(self.paths)
        procs.wait_until(lambda: not procs.alive(pid) or ready(), f"{name} start")
        if not procs.alive(pid):
            raise TestbedError(f"{name} exited at once:\n{procs.tail(log)}")

    def _write_nginx_config(self, switches: Switches, front_port: int) -> None:
        self._nonce = secrets.token_hex(8)
        plain_front.write_htpasswd(
            self.paths.nginx / "htpasswd", plain_front.USER, self.token("write")
        )
        text = nginx.render(self.paths, Pki(self.paths.pki), switches, front_port, self._nonce)
        (self.paths.nginx / "nginx.conf").write_text(text)

    def _wait_for_nginx(self, old_workers: Sequence[int] = ()) -> None:
        """Wait until nginx serves the config just written, and old workers no longer accept."""
        want = self._nonce.encode()

        def retired(pid: int) -> bool:
            return not procs.alive(pid) or "shutting down" in procs.cmdline(pid)

        def serving() -> bool:
            probe = procs.get(FRONT_PORT, nginx.PROBE_PATH, self.ca_file)
            return probe == (200, want) and all(retired(pid) for pid in old_workers)

        try:
            procs.wait_until(serving, "nginx serving its new configuration", timeout=10)
        except TestbedError as exc:
            raise TestbedError(f"{exc}:\n{procs.tail(self.paths.nginx / 'error.log')}") from None

    def _healthy(self, state: State) -> bool:
        if set(state.pids) != PROCESSES:
            return False
        if not all(procs.belongs_to(pid, self.paths.root) for pid in state.pids.values()):
            return False
        return (
            procs.get(BACKEND_PORT, "/v2/") == (200, b"{}")
            and procs.get(CONTAINER_BACKEND_PORT, "/v2/") == (200, b"{}")
            and procs.get(state.front_port, "/_health") == (200, b"ok\n")
            and (procs.get(FRONT_PORT, nginx.PROBE_PATH, self.ca_file) or (0,))[0] == 200
        )

    def _stop_processes(self, state: State) -> None:
        """Stop recorded and stray processes of this bed, then forget their pids."""
        ours = [pid for pid in state.pids.values() if procs.belongs_to(pid, self.paths.root)]
        groups = {group for pid in ours if (group := procs.group_of(pid))}
        procs.stop_groups(groups | procs.stray_groups(self.paths.root))
        state.pids = {}
        if state.tokens:
            state.save(self.paths)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Hold the state directory's lock, so two processes never start or stop at once."""
        with self.paths.lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _token_table() -> dict[str, Any]:
    return {name: token.to_json() for name, token in generate().items()}
