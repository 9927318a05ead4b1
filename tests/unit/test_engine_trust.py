"""The engine's certs.d entry for a private CA: added for one call, never overwritten, removed."""

from __future__ import annotations

from pathlib import Path

from ghpkg.engine.trust import trusted, trusts

HOST = "containers.ghes.test"


def test_a_missing_ca_is_there_during_the_call_and_gone_after_with_its_folders(
    tmp_path: Path,
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"our CA")
    certs_d = tmp_path / "certs.d"
    said: list[str] = []
    with trusted(ca, HOST, said.append, said.append, certs_d):
        assert (certs_d / HOST / "ca.crt").read_bytes() == b"our CA"
    assert not certs_d.exists()
    assert said == [
        f"the engine trusts {ca} for {HOST} during this pull ({certs_d / HOST / 'ca.crt'})"
    ]


def test_another_ca_is_never_overwritten_and_stays(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"our CA")
    theirs = tmp_path / "certs.d" / HOST / "ca.crt"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"the administrator's CA")
    warned: list[str] = []
    with trusted(ca, HOST, lambda _: None, warned.append, tmp_path / "certs.d"):
        assert theirs.read_bytes() == b"the administrator's CA"
    assert theirs.read_bytes() == b"the administrator's CA"
    assert warned == [
        f"{theirs} holds another CA: left as it is, so the engine may not trust {HOST}"
    ]


def test_the_same_ca_already_there_is_left_in_place(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"our CA")
    there = tmp_path / "certs.d" / HOST / "ca.crt"
    there.parent.mkdir(parents=True)
    there.write_bytes(b"our CA")
    with trusted(ca, HOST, lambda _: None, lambda _: None, tmp_path / "certs.d"):
        pass
    assert there.read_bytes() == b"our CA"


def test_the_engine_trusts_a_host_with_a_ca_in_its_folder_or_no_private_ca(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("our CA")
    certs_d = tmp_path / "certs.d"
    assert trusts("docker.ghes.test", None, certs_d)  # the system's roots: nothing to add
    assert not trusts("docker.ghes.test", ca, certs_d)
    (certs_d / "docker.ghes.test:8443").mkdir(parents=True)
    (certs_d / "docker.ghes.test:8443" / "corp.crt").write_text("any CA the engine reads")
    assert not trusts("docker.ghes.test", ca, certs_d)  # the folder names the port it serves
    assert trusts("docker.ghes.test:8443", ca, certs_d)
