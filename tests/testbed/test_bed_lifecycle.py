"""Starting, reusing, recovering and stopping the bed, through the API and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.bed import CERTS_DIR, RESOLVED_HOSTS, State, Testbed
from testbed.certs_d import trusted_hosts
from testbed.client import BedClient
from testbed.config import BACKEND_PORT, CONTAINER_BACKEND_PORT, FRONT_PORT
from testbed.etc_hosts import HOSTS_FILE, HOSTS_MARKER
from testbed.procs import port_free

pytestmark = pytest.mark.integration


def cli(bed: Testbed, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m testbed --state DIR ARGS` from the repository root."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-m", "testbed", "--state", str(bed.paths.root), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def names_installed(bed: Testbed) -> bool:
    """Whether /etc/hosts has the bed's line and certs.d leaves engines distrusting its CA."""
    hosts = HOSTS_FILE.read_text()
    return HOSTS_MARKER in hosts and not set(trusted_hosts(bed.ca_file)) & set(RESOLVED_HOSTS)


def test_start_reuses_a_healthy_bed(bed: Testbed) -> None:
    """A second start() (from any Testbed on the same directory) starts nothing."""
    write = bed.token("write")
    assert bed.start() is False
    assert Testbed(bed.paths.root).start() is False
    assert bed.token("write") == write
    assert names_installed(bed)


def test_state_file_is_private(bed: Testbed) -> None:
    """state.json holds the tokens: only root may read it."""
    assert bed.paths.state_file.stat().st_mode & 0o777 == 0o600


def test_start_recovers_from_a_crash(bed: Testbed, bed_client: BedClient) -> None:
    """Processes killed hard (nginx workers orphaned, port 443 held): start() cleans up."""
    write = bed.token("write")
    pids = State.load(bed.paths).pids
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)  # only the nginx master: its workers keep port 443
    assert not bed.is_up()
    assert bed.start() is True
    assert bed.is_up()
    assert bed.token("write") == write
    assert bed_client.request("GET", "/v2/").status_code == 200
    assert not set(State.load(bed.paths).pids.values()) & set(pids.values())


def test_stop_removes_names_and_frees_ports_then_start_restores(bed: Testbed) -> None:
    """stop(): processes gone, ports free, hosts line and certs.d gone; start() brings all back."""
    bed.stop()
    try:
        assert not bed.is_up()
        assert port_free(FRONT_PORT)
        assert port_free(BACKEND_PORT)
        assert port_free(CONTAINER_BACKEND_PORT)
        assert HOSTS_MARKER not in HOSTS_FILE.read_text()
        assert not any((CERTS_DIR / host).exists() for host in RESOLVED_HOSTS)
    finally:
        assert bed.start() is True
    assert names_installed(bed)


def test_command_line_down_status_up_token(bed: Testbed) -> None:
    """python -m testbed down / status / up / token NAME do what they say."""
    assert cli(bed, "down").returncode == 0
    down = cli(bed, "status")
    assert down.returncode == 1
    assert "down" in down.stdout
    up = cli(bed, "up")
    assert up.returncode == 0, up.stderr
    assert str(bed.ca_file) in up.stdout
    assert f"https://{bed.registry_host}/v2/" in up.stdout
    status = cli(bed, "status")
    assert status.returncode == 0
    assert "up" in status.stdout
    token = cli(bed, "token", "read")
    assert token.stdout.strip() == bed.token("read")
    assert bed.is_up()
