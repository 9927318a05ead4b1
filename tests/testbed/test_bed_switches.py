"""The bed's switches and host names: subdomain isolation, registry and API off, TLS trust."""

from __future__ import annotations

import socket

import pytest
import requests

from testbed.bed import Testbed
from testbed.client import BedClient, Pushed

pytestmark = pytest.mark.integration


def assert_web_404(answer: requests.Response) -> None:
    """The web UI's 404: HTML, and nothing that says "registry"."""
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Docker-Distribution-API-Version" not in answer.headers


def assert_registry(answer: requests.Response) -> None:
    """An anonymous ping that a registry answered: 401 Basic with the distribution header."""
    assert answer.status_code == 401
    assert answer.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="GitHub Package Registry"'


def test_isolation_on_registry_lives_on_the_docker_subdomain(bed: Testbed) -> None:
    """Default: docker.ghes.test/v2/ is the registry; ghes.test/v2/ is a web 404."""
    ca = str(bed.ca_file)
    assert_registry(requests.get(f"https://{bed.registry_host}/v2/", verify=ca, timeout=10))
    assert_web_404(requests.get(f"https://{bed.hostname}/v2/", verify=ca, timeout=10))


def test_isolation_off_moves_the_registry_to_the_hostname(
    bed: Testbed, bed_client: BedClient, tiny_image: Pushed
) -> None:
    """subdomain_isolation=False: ghes.test/v2/ is the registry, docker.ghes.test a web 404."""
    bed.configure(subdomain_isolation=False)
    ca = str(bed.ca_file)
    assert_web_404(requests.get(f"https://{bed.registry_host}/v2/", verify=ca, timeout=10))
    assert_registry(requests.get(f"https://{bed.hostname}/v2/", verify=ca, timeout=10))
    pulled = bed_client.get_manifest(tiny_image.name, tiny_image.tag, host=bed.hostname)
    assert pulled.status_code == 200
    assert pulled.content == tiny_image.manifest
    bed.configure(subdomain_isolation=True)
    assert_registry(requests.get(f"https://{bed.registry_host}/v2/", verify=ca, timeout=10))


def test_flat_instance_serves_the_registry_on_its_hostname(bed_client: BedClient) -> None:
    """ghes-flat.test/v2/ is a registry sharing the backend; docker.ghes-flat.test is unknown."""
    flat = bed_client.bed.flat_hostname
    assert_registry(bed_client.request("GET", "/v2/", token=None, host=flat))
    pushed = bed_client.push("octo-org/hello-world/flat-image", host=flat)
    pulled = bed_client.get_manifest(pushed.name, pushed.tag)
    assert pulled.content == pushed.manifest
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(f"docker.{flat}", 443)


def test_registry_disabled_answers_404_everywhere(bed: Testbed) -> None:
    """registry_enabled=False: /v2/ is a web 404 on every host; the API still answers."""
    bed.configure(registry_enabled=False)
    ca = str(bed.ca_file)
    for host in (bed.registry_host, bed.hostname, bed.flat_hostname):
        assert_web_404(requests.get(f"https://{host}/v2/", verify=ca, timeout=10))
    assert requests.get(f"https://{bed.hostname}/api/v3", verify=ca, timeout=10).ok


def test_api_disabled_answers_404_html(bed: Testbed) -> None:
    """api_enabled=False: /api/v3 is a plain web 404 on both instances; the registry answers."""
    bed.configure(api_enabled=False)
    ca = str(bed.ca_file)
    for host in (bed.hostname, bed.flat_hostname):
        assert_web_404(requests.get(f"https://{host}/api/v3/rate_limit", verify=ca, timeout=10))
    assert_registry(requests.get(f"https://{bed.registry_host}/v2/", verify=ca, timeout=10))


def test_reset_restores_every_default(bed: Testbed) -> None:
    """reset() brings back the defaults after any mix of switches."""
    bed.configure(subdomain_isolation=False, api_enabled=False, layer_size_limit=10)
    bed.reset()
    assert bed.switches == type(bed.switches)()
    ca = str(bed.ca_file)
    assert_registry(requests.get(f"https://{bed.registry_host}/v2/", verify=ca, timeout=10))


def test_configure_refuses_unknown_switches_and_wrong_types(bed: Testbed) -> None:
    """A misspelt switch or a wrong type is a TypeError, and nothing changes."""
    with pytest.raises(TypeError, match="unknown"):
        bed.configure(subdomain_isolaton=False)
    with pytest.raises(TypeError, match="bool"):
        bed.configure(api_enabled=0)
    with pytest.raises(ValueError, match="positive"):
        bed.configure(layer_size_limit=0)


def test_tls_needs_the_bed_ca(bed: Testbed) -> None:
    """Without the bed's CA the certificate does not verify; with it, it does for every name."""
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://{bed.registry_host}/v2/", timeout=10)
    for host in (bed.registry_host, bed.hostname, bed.flat_hostname):
        answer = requests.get(f"https://{host}/", verify=str(bed.ca_file), timeout=10)
        assert answer.status_code == 404
