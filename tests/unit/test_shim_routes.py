"""The shim's uploads: past MAX_UPLOADS open sessions, a new one is refused before the registry
is asked for one."""

from __future__ import annotations

import requests

from ghpkg.registry import RegistryClient
from ghpkg.secret import Secret
from ghpkg.shim.routes import MAX_UPLOADS
from ghpkg.shim.scope import Upload
from ghpkg.shim.server import Shim
from tests.unit.registry_fake import Fake


def test_upload_sessions_past_the_cap_are_refused(fake: Fake) -> None:
    registry = RegistryClient(fake.host, "octocat", Secret("ghp_x"), ca_file=fake.ca_file)
    with Shim(registry) as shim:
        for number in range(MAX_UPLOADS):
            shim.uploads[str(number)] = Upload("o/r/app", f"/v2/o/r/app/blobs/uploads/{number}")
        login = (shim.login.username, shim.login.password.reveal())
        answer = requests.post(
            f"http://{shim.address}/v2/o/r/app/blobs/uploads/", auth=login, timeout=10
        )
        shim.uploads.clear()  # none of them exists upstream
    assert answer.status_code == 429
    assert answer.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert fake.seen == []
