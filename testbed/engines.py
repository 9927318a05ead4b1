"""The Docker engine matrix the integration tests run on: the system engine and three beside it."""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENGINE_NAMES: tuple[str, ...] = ("20.10", "26.1", "28.5", "28.5-containerd")
# Engines whose docker CLI gets the buildx plugin; 20.10 keeps the legacy builder path covered.
BUILDX_ENGINES: frozenset[str] = frozenset({"26.1", "28.5", "28.5-containerd"})

SYSTEM_SOCKET = Path("/var/run/docker.sock")
SYSTEM_PIDFILE = Path("/var/run/docker.pid")
CACHE_DIR = Path(os.environ.get("GHPKG_ENGINES_CACHE", "/var/cache/ghpkg-engines"))
RUN_DIR = Path("/run/ghpkg-engines")
DATA_DIR = Path("/var/lib/ghpkg-engines")
LOG_DIR = Path("/var/log/ghpkg-engines")
DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
DEBIAN_SOURCES_LIST = Path("/etc/apt/sources.list")
SYSTEM_RUNC = Path("/usr/sbin/runc")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 40.0

# What each extra engine's private bin directory holds: name on PATH -> path in the unpacked debs.
# runc comes from bookworm: trixie's and sid's runc need glibc 2.38, bookworm has 2.36.
_BINARIES: dict[str, str] = {
    "dockerd": "usr/sbin/dockerd",
    "docker-proxy": "usr/sbin/docker-proxy",
    "docker-init": "usr/bin/tini-static",
    "containerd": "usr/bin/containerd",
    "containerd-shim-runc-v2": "usr/bin/containerd-shim-runc-v2",
    "runc": str(SYSTEM_RUNC),
}
_VERSION_FLAG: dict[str, str] = {"containerd-shim-runc-v2": "-v"}
BUILDX_VERSION = "0.13"
_BUILDX_PLUGIN = "usr/libexec/docker/cli-plugins/docker-buildx"


class EngineError(RuntimeError):
    """An engine could not be installed, started or stopped."""


@dataclass(frozen=True)
class Engine:
    """A running engine: its matrix name, API address and reported server version."""

    name: str
    base_url: str
    version: str


@dataclass(frozen=True)
class _Dist:
    """Debs of one Debian suite that together make an engine (or the buildx plugin)."""

    suite: str
    docker_version: str
    packages: tuple[str, ...]


_DISTS: dict[str, _Dist] = {
    "trixie": _Dist("trixie", "26.1", ("docker.io=26.1.*", "containerd=1.7.*", "tini")),
    "sid": _Dist("sid", "28.5", ("docker.io=28.5.*", "containerd=2.1.*", "tini-static")),
}
# matrix name -> (suite, daemon features); None is the system engine.
_BUILDX = _Dist("trixie", BUILDX_VERSION, (f"docker-buildx={BUILDX_VERSION}.*",))
_SPECS: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "20.10": None,
    "26.1": ("trixie", ()),
    "28.5": ("sid", ()),
    "28.5-containerd": ("sid", ("containerd-snapshotter",)),
}

# Engines this process started, kept so they can be reaped (never left as zombies).
_children: dict[int, subprocess.Popen[bytes]] = {}


# --- small helpers ---------------------------------------------------------------------------


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command quietly and return its output; raise EngineError with the tail on failure."""
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(out.splitlines()[-15:])
        raise EngineError(f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n{tail}")
    return out


def apt_install(*packages: str) -> None:
    """Install Debian packages with the system apt, updating its lists once if needed."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PATH": SYSTEM_PATH}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    try:
        _run(cmd, env=env)
    except EngineError:
        _run(["apt-get", "update"], env=env)
        _run(cmd, env=env)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on path for the duration (other processes wait)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _log_tail(path: Path, lines: int = 20) -> str:
    """Last lines of a log file, or a note that there is none."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket, enough for /_ping and /version."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        """Connect to the unix socket instead of TCP."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _get(sock: Path, url: str, timeout: float = 5.0) -> bytes | None:
    """Body of a 200 answer to GET url on an engine socket, None if it does not answer so."""
    conn = _UnixHTTPConnection(str(sock), timeout)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        body = resp.read()
        return body if resp.status == 200 else None
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process; reaps it if it is our dead child."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[pid]
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _pid_from(pidfile: Path, marker: str) -> int | None:
    """The live pid in pidfile if its command line contains marker, else None."""
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return None
    return pid if marker in cmdline and _alive(pid) else None


def _pids_of(program: str, marker: str) -> list[int]:
    """Live processes running program (by name) with marker among their arguments."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(args[0].decode(errors="replace")).name == program and any(
            marker.encode() in arg for arg in args[1:]
        ):
            pids.append(int(entry.name))
    return [pid for pid in pids if _alive(pid)]


def _is_mountpoint(path: Path) -> bool:
    """Whether path is a mount point, bind mounts of the same filesystem included."""
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    return any(line.split()[4] == str(path) for line in mounts)


def _spawn(argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start argv detached in its own session, appending its output to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    _children[proc.pid] = proc
    return proc


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM pid, wait up to timeout for it to exit, then SIGKILL it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
    _alive(pid)


# --- paths of one engine ---------------------------------------------------------------------


def _check_name(name: str) -> None:
    """Raise EngineError unless name is in the matrix."""
    if name not in _SPECS:
        raise EngineError(f"unknown engine {name!r}; the matrix is {', '.join(ENGINE_NAMES)}")


def _socket(name: str) -> Path:
    """The API socket of an engine."""
    _check_name(name)
    return SYSTEM_SOCKET if _SPECS[name] is None else RUN_DIR / name / "docker.sock"


def base_url(name: str) -> str:
    """The docker-py base_url of an engine."""
    return f"unix://{_socket(name)}"


def _bin_dir(suite: str) -> Path:
    """The private bin directory (first on PATH) of a suite's engines."""
    return CACHE_DIR / suite / "bin"


def _env(bin_dir: Path | None) -> dict[str, str]:
    """Environment for an engine's processes: its bin directory first on PATH."""
    path = SYSTEM_PATH if bin_dir is None else f"{bin_dir}:{SYSTEM_PATH}"
    return {"PATH": path, "HOME": "/root", "LANG": "C.UTF-8"}


# --- install ---------------------------------------------------------------------------------


def _debian_mirror() -> tuple[str, str]:
    """(URI, signed-by keyring) of the system's main bookworm source."""
    if DEBIAN_SOURCES.exists():
        for stanza in re.split(r"\n\s*\n", DEBIAN_SOURCES.read_text()):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                key, sep, value = line.partition(":")
                if sep and not line.startswith(("#", " ")):
                    fields[key.strip().lower()] = value.strip()
            if (
                "deb" in fields.get("types", "").split()
                and "bookworm" in fields.get("suites", "").split()
            ):
                keyring = fields.get("signed-by", "")
                return fields["uris"].split()[0], keyring if keyring.startswith("/") else ""
    if DEBIAN_SOURCES_LIST.exists():
        found = re.search(
            r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", DEBIAN_SOURCES_LIST.read_text(), re.M
        )
        if found:
            return found.group(1), ""
    return "http://deb.debian.org/debian", ""


def _apt_options(apt_dir: Path) -> list[str]:
    """apt options that confine it to a private sources list, lists and cache."""
    options = {
        "Dir::Etc::SourceList": apt_dir / "sources.list",
        "Dir::Etc::SourceParts": "/dev/null",
        "Dir::State::Lists": apt_dir / "lists",
        "Dir::Cache": apt_dir / "cache",
        "APT::Sandbox::User": "root",
    }
    return [arg for key, value in options.items() for arg in ("-o", f"{key}={value}")]


def _download(dist: _Dist, apt_dir: Path, dest: Path) -> list[Path]:
    """apt-get download a suite's packages into dest, through private apt state."""
    uri, keyring = _debian_mirror()
    shutil.rmtree(dest, ignore_errors=True)
    (apt_dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    signed = f"[signed-by={keyring}] " if keyring else ""
    (apt_dir / "sources.list").write_text(f"deb {signed}{uri} {dist.suite} main\n")
    env = {**os.environ, "PATH": SYSTEM_PATH}
    _run(["apt-get", *_apt_options(apt_dir), "update"], env=env)
    dest.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", *_apt_options(apt_dir), "download", *dist.packages], cwd=dest, env=env)
    return sorted(dest.glob("*.deb"))


def _check_runs(bin_dir: Path, suite: str) -> str:
    """Run each binary once (they must work on this glibc); return dockerd's version line."""
    for name in _BINARIES:
        binary = bin_dir / name
        try:
            _run([str(binary), _VERSION_FLAG.get(name, "--version")])
        except (EngineError, OSError) as exc:
            raise EngineError(f"{name} from {suite} does not run here: {exc}") from exc
    return _run([str(bin_dir / "dockerd"), "--version"]).strip()


def _install_dist(dist: _Dist) -> None:
    """Fetch and unpack a suite's engine under the cache dir, unless it is there already."""
    home = CACHE_DIR / dist.suite
    marker = home / "installed"
    if marker.exists():
        return
    with _locked(CACHE_DIR / f"{dist.suite}.lock"):
        if marker.exists():
            return
        if not SYSTEM_RUNC.exists():
            apt_install("runc")
        debs = _download(dist, home / "apt", home / "debs")
        root = home / "root"
        shutil.rmtree(root, ignore_errors=True)
        for deb in debs:
            _run(["dpkg-deb", "-x", str(deb), str(root)])
        shutil.rmtree(home / "debs")
        bin_dir = _bin_dir(dist.suite)
        shutil.rmtree(bin_dir, ignore_errors=True)
        bin_dir.mkdir(parents=True)
        for name, target in _BINARIES.items():
            (bin_dir / name).symlink_to(root / target)
        version = _check_runs(bin_dir, dist.suite)
        if f"version {dist.docker_version}." not in version:
            raise EngineError(f"{dist.suite} gave {version!r}, expected {dist.docker_version}.x")
        marker.write_text(version + "\n")


def _install_buildx() -> Path:
    """Fetch and unpack trixie's docker-buildx under the cache dir (once); return the plugin."""
    home = CACHE_DIR / "buildx"
    marker, plugin = home / "installed", home / "root" / _BUILDX_PLUGIN
    if marker.exists():
        return plugin
    with _locked(CACHE_DIR / "buildx.lock"):
        if marker.exists():
            return plugin
        debs = _download(_BUILDX, home / "apt", home / "debs")
        shutil.rmtree(home / "root", ignore_errors=True)
        for deb in debs:
            _run(["dpkg-deb", "-x", str(deb), str(home / "root")])
        shutil.rmtree(home / "debs")
        try:
            version = _run([str(plugin), "version"]).strip()
        except (EngineError, OSError) as exc:
            raise EngineError(f"docker-buildx from trixie does not run here: {exc}") from exc
        if f" {BUILDX_VERSION}." not in f" {version}":
            raise EngineError(f"docker-buildx gave {version!r}, expected {BUILDX_VERSION}.x")
        marker.write_text(version + "\n")
    return plugin


def docker_config(name: str) -> Path:
    """A DOCKER_CONFIG dir for the docker CLI against an engine: its cli-plugins/ holds buildx
    on the buildx engines and nothing on the others (so the CLI has no buildx there)."""
    _check_name(name)
    plugins = RUN_DIR / name / "docker-config" / "cli-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "docker-buildx"
    if name not in BUILDX_ENGINES:
        link.unlink(missing_ok=True)
        return plugins.parent
    target = _install_buildx()
    if not link.is_symlink() or os.readlink(link) != str(target):
        fresh = plugins / f".docker-buildx.{os.getpid()}"
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(target)
        fresh.replace(link)
    return plugins.parent


def _system_dockerd() -> str:
    """Path of bookworm's dockerd, installing docker.io if it is missing."""
    found = shutil.which("dockerd", path=SYSTEM_PATH)
    if found is None:
        apt_install("docker.io")
        found = shutil.which("dockerd", path=SYSTEM_PATH)
    if found is None:
        raise EngineError("apt-get install docker.io left no dockerd on PATH")
    return found


def install(name: str) -> None:
    """Make an engine's binaries present (apt for the system one, cached debs for the others),
    with the buildx plugin for the engines that get it."""
    _check_name(name)
    spec = _SPECS[name]
    if spec is None:
        _system_dockerd()
    else:
        _install_dist(_DISTS[spec[0]])
    if name in BUILDX_ENGINES:
        _install_buildx()


def installed_version(name: str) -> str:
    """The version the engine's dockerd binary reports (installing it if needed)."""
    install(name)
    spec = _SPECS[name]
    dockerd = _system_dockerd() if spec is None else str(_bin_dir(spec[0]) / "dockerd")
    found = re.search(r"version (\S+?),", _run([dockerd, "--version"]))
    return found.group(1) if found else "unknown"


# --- start / stop ----------------------------------------------------------------------------


def _engine(name: str) -> Engine | None:
    """The engine if it answers /_ping and /version right now."""
    sock = _socket(name)
    if _get(sock, "/_ping") is None:
        return None
    body = _get(sock, "/version")
    version = str(json.loads(body).get("Version", "unknown")) if body else "unknown"
    return Engine(name, base_url(name), version)


def running(name: str) -> Engine | None:
    """The engine if it is up now, without starting anything."""
    return _engine(name)


def _wait(name: str, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float) -> Engine:
    """Wait until the engine answers /_ping; raise with the log tail on timeout or exit."""
    deadline = time.monotonic() + timeout
    while True:
        engine = _engine(name)
        if engine is not None:
            return engine
        if proc is not None and proc.poll() is not None:
            _children.pop(proc.pid, None)
            raise EngineError(
                f"engine {name}: dockerd exited with code {proc.returncode} before answering "
                f"/_ping on {_socket(name)}; last lines of {log}:\n{_log_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise EngineError(
                f"engine {name}: no answer to /_ping on {_socket(name)} within {timeout:.0f}s; "
                f"last lines of {log}:\n{_log_tail(log)}"
            )
        time.sleep(0.2)


def _start_system(timeout: float) -> Engine:
    """Start bookworm's dockerd on the system socket (falling back to no bridge if needed)."""
    dockerd = _system_dockerd()
    log = LOG_DIR / "20.10.log"
    argv = [dockerd, "--pidfile", str(SYSTEM_PIDFILE)]
    if SYSTEM_PIDFILE.exists() and _pid_from(SYSTEM_PIDFILE, "dockerd") is None:
        SYSTEM_PIDFILE.unlink()
    try:
        proc = _spawn(argv, log, _env(None))
        engine = _wait("20.10", proc, log, timeout)
    except EngineError:
        if "iptables" not in _log_tail(log, 5):
            raise
        print(
            "testbed: dockerd cannot use iptables here; starting it with --bridge none",
            file=sys.stderr,
        )
        proc = _spawn([*argv, "--bridge", "none", "--iptables=false"], log, _env(None))
        engine = _wait("20.10", proc, log, timeout)
    owner = RUN_DIR / "20.10" / "started-by-testbed"
    owner.parent.mkdir(parents=True, exist_ok=True)
    owner.write_text(f"{proc.pid}\n")
    return engine


def _containerd_config(name: str) -> Path:
    """Write the engine's own containerd config (root, state and socket under its dirs)."""
    run, data = RUN_DIR / name, DATA_DIR / name
    config = run / "containerd.toml"
    config.write_text(
        "version = 2\n"
        f'root = "{data}/containerd"\n'
        f'state = "{run}/containerd"\n'
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime",'
        ' "io.containerd.cri.v1.images"]\n'
        "[grpc]\n"
        f'  address = "{run}/containerd/containerd.sock"\n'
    )
    return config


def _ensure_containerd(name: str, bin_dir: Path, timeout: float) -> Path:
    """Start the engine's own containerd unless it runs; return its socket."""
    run = RUN_DIR / name
    sock = run / "containerd" / "containerd.sock"
    config = _containerd_config(name)
    if _pids_of("containerd", str(config)):
        return sock
    sock.unlink(missing_ok=True)
    log = LOG_DIR / f"{name}-containerd.log"
    proc = _spawn([str(bin_dir / "containerd"), "--config", str(config)], log, _env(bin_dir))
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(str(sock)) == 0:
                return sock
        if proc.poll() is not None or time.monotonic() > deadline:
            _terminate(proc.pid, 5)
            raise EngineError(
                f"engine {name}: containerd did not come up on {sock}; "
                f"last lines of {log}:\n{_log_tail(log)}"
            )
        time.sleep(0.1)


def _start_extra(name: str, suite: str, features: tuple[str, ...], timeout: float) -> Engine:
    """Start an extra engine's containerd and dockerd on its own socket and roots."""
    run, data, bin_dir = RUN_DIR / name, DATA_DIR / name, _bin_dir(suite)
    run.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    sock, pidfile, log = run / "docker.sock", run / "docker.pid", LOG_DIR / f"{name}.log"
    if _pids_of("dockerd", f"unix://{sock}"):  # ours, still starting: give it its chance
        return _wait(name, None, log, timeout)
    pidfile.unlink(missing_ok=True)
    containerd = _ensure_containerd(name, bin_dir, timeout)
    config = run / "daemon.json"
    config.write_text(json.dumps({"features": dict.fromkeys(features, True)}) + "\n")
    argv = [
        str(bin_dir / "dockerd"),
        "--config-file",
        str(config),
        "-H",
        f"unix://{sock}",
        "--data-root",
        str(data),
        "--exec-root",
        str(run / "exec"),
        "--pidfile",
        str(pidfile),
        "--containerd",
        str(containerd),
        "--bridge",
        "none",
        "--iptables=false",
    ]
    return _wait(name, _spawn(argv, log, _env(bin_dir)), log, timeout)


def start(name: str, timeout: float = START_TIMEOUT) -> Engine:
    """Start an engine (installing it first if needed) or reuse the live one."""
    _check_name(name)
    engine = _engine(name)
    if engine is not None:
        return engine
    install(name)
    with _locked(RUN_DIR / f"{name}.lock"):
        engine = _engine(name)
        if engine is not None:
            return engine
        spec = _SPECS[name]
        if spec is None:
            return _start_system(timeout)
        return _start_extra(name, spec[0], spec[1], timeout)


def stop(name: str) -> bool:
    """Stop an engine this testbed started; False if there was none (or not ours to stop)."""
    _check_name(name)
    with _locked(RUN_DIR / f"{name}.lock"):
        if _SPECS[name] is None:
            owner = RUN_DIR / "20.10" / "started-by-testbed"
            pid = _pid_from(SYSTEM_PIDFILE, "dockerd")
            ours = owner.exists() and owner.read_text().strip() == str(pid)
            owner.unlink(missing_ok=True)
            if pid is None or not ours:
                return False
            _terminate(pid, STOP_TIMEOUT)
            return True
        run = RUN_DIR / name
        stopped = False
        daemons = (
            ("dockerd", f"unix://{run}/docker.sock"),
            ("containerd", f"{run}/containerd.toml"),
        )
        for program, marker in daemons:
            for pid in _pids_of(program, marker):
                _terminate(pid, STOP_TIMEOUT)
                stopped = True
        (run / "docker.pid").unlink(missing_ok=True)
        for _ in range(3):  # dockerd's self bind mounts of its data root, left by SIGKILLs
            if not _is_mountpoint(DATA_DIR / name):
                break
            subprocess.run(
                ["umount", "--lazy", str(DATA_DIR / name)], capture_output=True, check=False
            )
        return stopped


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """python -m testbed engines install|up|down [NAMES...]: print NAME BASE_URL VERSION lines."""
    parser = argparse.ArgumentParser(
        prog="python -m testbed engines", description="Install, start or stop the engine matrix."
    )
    parser.add_argument("action", choices=("install", "up", "down"))
    parser.add_argument("names", nargs="*", metavar="NAME", help="matrix names or 'all' (default)")
    args = parser.parse_args(argv)
    names: list[str] = [
        each
        for name in args.names or ["all"]
        for each in (ENGINE_NAMES if name == "all" else [name])
    ]
    unknown = [name for name in names if name not in _SPECS]
    if unknown:
        parser.error(
            f"unknown engine(s) {', '.join(unknown)}; the matrix: {' '.join(ENGINE_NAMES)}"
        )
    try:
        for name in names:
            if args.action == "install":
                print(f"{name} {base_url(name)} {installed_version(name)}", flush=True)
            elif args.action == "up":
                engine = start(name)
                print(f"{engine.name} {engine.base_url} {engine.version}", flush=True)
            else:
                print(f"{name} {'stopped' if stop(name) else 'not running (or not ours)'}")
    except EngineError as exc:
        print(f"testbed engines: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
