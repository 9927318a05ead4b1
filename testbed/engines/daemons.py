"""Starting and stopping an engine: the system dockerd on its usual socket, or an extra engine's
own containerd and dockerd (config, sockets and roots under its run and data dirs)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from testbed.engines.install import install, system_dockerd
from testbed.engines.matrix import (
    DATA_DIR,
    LOG_DIR,
    RUN_DIR,
    SPECS,
    SYSTEM_PIDFILE,
    Engine,
    EngineError,
    bin_dir,
    check_name,
    locked,
    process_env,
    socket_path,
)
from testbed.engines.probe import running
from testbed.engines.processes import (
    forget,
    is_mountpoint,
    pid_from,
    pids_of,
    spawn,
    terminate,
)
from testbed.procs import tail

START_TIMEOUT = 90.0
STOP_TIMEOUT = 40.0


def start(name: str, timeout: float = START_TIMEOUT) -> Engine:
    """Start an engine (installing it first if needed) or reuse the live one."""
    check_name(name)
    engine = running(name)
    if engine is not None:
        return engine
    install(name)
    with locked(RUN_DIR / f"{name}.lock"):
        engine = running(name)
        if engine is not None:
            return engine
        spec = SPECS[name]
        if spec is None:
            return _start_system(timeout)
        return _start_extra(name, spec[0], spec[1], timeout)


def stop(name: str) -> bool:
    """Stop an engine this testbed started; False if there was none (or not ours to stop)."""
    check_name(name)
    with locked(RUN_DIR / f"{name}.lock"):
        if SPECS[name] is None:
            owner = RUN_DIR / "20.10" / "started-by-testbed"
            pid = pid_from(SYSTEM_PIDFILE, "dockerd")
            ours = owner.exists() and owner.read_text().strip() == str(pid)
            owner.unlink(missing_ok=True)
            if pid is None or not ours:
                return False
            terminate(pid, STOP_TIMEOUT)
            return True
        run = RUN_DIR / name
        stopped = False
        daemons = (
            ("dockerd", f"unix://{run}/docker.sock"),
            ("containerd", f"{run}/containerd.toml"),
        )
        for program, marker in daemons:
            for pid in pids_of(program, marker):
                terminate(pid, STOP_TIMEOUT)
                stopped = True
        (run / "docker.pid").unlink(missing_ok=True)
        for _ in range(3):  # dockerd's self bind mounts of its data root, left by SIGKILLs
            if not is_mountpoint(DATA_DIR / name):
                break
            subprocess.run(
                ["umount", "--lazy", str(DATA_DIR / name)], capture_output=True, check=False
            )
        return stopped


def _wait(name: str, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float) -> Engine:
    """Wait until the engine answers /_ping; raise with the log tail on timeout or exit."""
    deadline = time.monotonic() + timeout
    while True:
        engine = running(name)
        if engine is not None:
            return engine
        if proc is not None and proc.poll() is not None:
            forget(proc)
            raise EngineError(
                f"engine {name}: dockerd exited with code {proc.returncode} before answering "
                f"/_ping on {socket_path(name)}; last lines of {log}:\n{tail(log, 20)}"
            )
        if time.monotonic() > deadline:
            raise EngineError(
                f"engine {name}: no answer to /_ping on {socket_path(name)} within {timeout:.0f}s; "
                f"last lines of {log}:\n{tail(log, 20)}"
            )
        time.sleep(0.2)


def _start_system(timeout: float) -> Engine:
    """Start bookworm's dockerd on the system socket (falling back to no bridge if needed)."""
    dockerd = system_dockerd()
    log = LOG_DIR / "20.10.log"
    argv = [dockerd, "--pidfile", str(SYSTEM_PIDFILE)]
    if SYSTEM_PIDFILE.exists() and pid_from(SYSTEM_PIDFILE, "dockerd") is None:
        SYSTEM_PIDFILE.unlink()
    try:
        proc = spawn(argv, log, process_env(None))
        engine = _wait("20.10", proc, log, timeout)
    except EngineError:
        if "iptables" not in tail(log, 5):
            raise
        print(
            "testbed: dockerd cannot use iptables here; starting it with --bridge none",
            file=sys.stderr,
        )
        proc = spawn([*argv, "--bridge", "none", "--iptables=false"], log, process_env(None))
        engine = _wait("20.10", proc, log, timeout)
    owner = RUN_DIR / "20.10" / "started-by-testbed"
    owner.parent.mkdir(parents=True, exist_ok=True)
    owner.write_text(f"{proc.pid}\n")
    return engine


def _start_extra(name: str, suite: str, features: tuple[str, ...], timeout: float) -> Engine:
    """Start an extra engine's containerd and dockerd on its own socket and roots."""
    run, data, suite_bin = RUN_DIR / name, DATA_DIR / name, bin_dir(suite)
    run.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    sock, pidfile, log = run / "docker.sock", run / "docker.pid", LOG_DIR / f"{name}.log"
    if pids_of("dockerd", f"unix://{sock}"):  # ours, still starting: give it its chance
        return _wait(name, None, log, timeout)
    pidfile.unlink(missing_ok=True)
    containerd = _ensure_containerd(name, suite_bin, timeout)
    config = run / "daemon.json"
    config.write_text(json.dumps({"features": dict.fromkeys(features, True)}) + "\n")
    argv = [
        str(suite_bin / "dockerd"),
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
    return _wait(name, spawn(argv, log, process_env(suite_bin)), log, timeout)


def _ensure_containerd(name: str, suite_bin: Path, timeout: float) -> Path:
    """Start the engine's own containerd unless it runs; return its socket."""
    run = RUN_DIR / name
    sock = run / "containerd" / "containerd.sock"
    config = _containerd_config(name)
    if pids_of("containerd", str(config)):
        return sock
    sock.unlink(missing_ok=True)
    log = LOG_DIR / f"{name}-containerd.log"
    proc = spawn(
        [str(suite_bin / "containerd"), "--config", str(config)], log, process_env(suite_bin)
    )
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(str(sock)) == 0:
                return sock
        if proc.poll() is not None or time.monotonic() > deadline:
            terminate(proc.pid, 5)
            raise EngineError(
                f"engine {name}: containerd did not come up on {sock}; "
                f"last lines of {log}:\n{tail(log, 20)}"
            )
        time.sleep(0.1)


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
