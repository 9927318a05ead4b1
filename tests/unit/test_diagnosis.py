"""The classification doctor and the operations share: layouts, TLS, names, engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghpkg.diagnosis import layout_problem, no_registry
from ghpkg.errors import RegistryError, UsageError
from ghpkg.faces.inputs import RawInputs, resolve
from ghpkg.registry.layout import HostAnswer, Layout, Seen
from ghpkg.secret import Secret
from ghpkg.verbs.checklist import DoctorRequest

REGISTRY = "HTTP 401 asking for Basic credentials"
WEB = "HTTP 404, a web page"


def registry(host: str) -> HostAnswer:
    return HostAnswer(host, Seen.REGISTRY, REGISTRY, 401)


def web_page(host: str) -> HostAnswer:
    return HostAnswer(host, Seen.OTHER, WEB, 404)


def layout(isolated: HostAnswer, flat: HostAnswer) -> Layout:
    return Layout("ghes.example.com", isolated, flat)


ISOLATED = "docker.ghes.example.com"
FLAT = "ghes.example.com"


def test_a_registry_where_asked_is_no_problem() -> None:
    on = layout(registry(ISOLATED), web_page(FLAT))
    assert on.found is True
    assert layout_problem(on, True, None) is None
    assert layout_problem(on, None, None) is None


def test_isolation_asked_on_but_the_registry_is_on_the_host() -> None:
    off = layout(web_page(ISOLATED), registry(FLAT))
    error = layout_problem(off, True, None)
    assert str(error) == (
        "subdomain isolation is off on ghes.example.com: the registry answers at "
        f"https://ghes.example.com/v2/ ({REGISTRY}), not at "
        f"https://docker.ghes.example.com/v2/ ({WEB}); pass --subdomain-isolation false (or auto)"
    )
    assert layout_problem(off, None, None) is None


def test_isolation_asked_off_but_the_registry_is_on_the_subdomain() -> None:
    on = layout(registry(ISOLATED), web_page(FLAT))
    error = layout_problem(on, False, None)
    assert str(error).startswith("subdomain isolation is on for ghes.example.com: ")
    assert str(error).endswith("pass --subdomain-isolation true (or auto)")


def test_web_pages_on_both_hosts_mean_the_registry_is_not_enabled() -> None:
    off = layout(web_page(ISOLATED), web_page(FLAT))
    for isolation in (None, True, False):
        error = layout_problem(off, isolation, None)
        assert isinstance(error, RegistryError)
        assert str(error).startswith(
            "GitHub Packages' Docker registry is not enabled on ghes.example.com (HTTP 404 at /v2/)"
        )
        assert str(error).endswith(
            "; ask your site administrator to enable GitHub Packages and its Docker registry"
        )


def test_no_subdomain_record_and_a_web_page_is_not_enabled_and_names_the_record() -> None:
    missing = HostAnswer(ISOLATED, Seen.UNRESOLVED, "does not resolve: Name or service not known")
    error = no_registry(layout(missing, web_page(FLAT)), None)
    assert "not enabled on ghes.example.com" in str(error)
    assert f"{ISOLATED} also needs a DNS record" in str(error)


def test_an_unresolved_instance_is_named_as_such() -> None:
    gone = "does not resolve: Name or service not known"
    error = no_registry(
        layout(
            HostAnswer(ISOLATED, Seen.UNRESOLVED, gone), HostAnswer(FLAT, Seen.UNRESOLVED, gone)
        ),
        None,
    )
    assert str(error) == (
        "ghes.example.com does not resolve: Name or service not known; "
        "check --hostname (or GITHUB_SERVER_URL) and this machine's DNS"
    )


def test_busy_answers_are_temporary_not_a_disabled_registry() -> None:
    busy = layout(
        HostAnswer(ISOLATED, Seen.OTHER, "HTTP 503", 503),
        HostAnswer(FLAT, Seen.OTHER, "HTTP 502", 502),
    )
    error = no_registry(busy, None)
    assert isinstance(error, RegistryError)
    assert error.temporary
    assert "is not answering" in str(error)


def test_an_untrusted_certificate_names_its_issuer_and_the_ca_checked() -> None:
    answer = HostAnswer(
        ISOLATED,
        Seen.UNTRUSTED,
        "unable to get local issuer certificate",
        issuer="'Example Corp Root CA'",
    )
    problem = layout_problem(layout(answer, web_page(FLAT)), None, None)
    assert str(problem) == (
        f"TLS certificate of {ISOLATED} is not trusted: it is issued by 'Example Corp Root CA', "
        "which is not in the default CA bundle (unable to get local issuer certificate); "
        "pass --ca-file with your GHES CA (PEM)"
    )
    other = layout_problem(layout(answer, web_page(FLAT)), True, Path("/etc/ca.pem"))
    assert "which is not the CA in /etc/ca.pem" in str(other)
    assert str(other).endswith("pass --ca-file with the CA (PEM) that issued it")


def test_doctor_needs_no_image_and_accepts_any_token_kind() -> None:
    raw = RawInputs(operation="doctor", hostname="ghes.example.com", owner="o", repository="r")
    call = resolve(raw, {}, Secret("github_pat_" + "a" * 40))
    assert call.operation == "doctor"
    assert isinstance(call.request, DoctorRequest)
    assert call.request.package.image == ""
    assert resolve(raw, {}, Secret("")).operation == "doctor"
    with pytest.raises(UsageError, match="fine-grained"):
        resolve(RawInputs(operation="pull", hostname="h", owner="o", repository="r", image="i",
                          versions=["1"]), {}, Secret("github_pat_" + "a" * 40))  # fmt: skip
