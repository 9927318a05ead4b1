"""PEP 440 versions as metadata-action's `type=pep440` reads them (its @renovate/pep440).

The pattern is PEP 440's own (Appendix B, https://peps.python.org/pep-0440/); `normalized` is
the canonical spelling (`1.0dev4` -> `1.0.dev4`, `1.1beta2` -> `1.1b2`), major/minor/patch are
the release's first three numbers (0 where it has fewer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERN = re.compile(
    r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PRE = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc", "preview": "rc"}


@dataclass(frozen=True)
class Pep440:
    """A version PEP 440 accepts: its release numbers and whether it is a pre/post/dev release."""

    normalized: str
    release: tuple[int, ...]
    prerelease: bool
    postrelease: bool
    devrelease: bool

    def part(self, index: int) -> str:
        """The release's number at `index` (major 0, minor 1, patch 2), 0 where there is none."""
        return str(self.release[index]) if index < len(self.release) else "0"


def parse_pep440(text: str) -> Pep440 | None:
    """`v1.2.3rc2`, `1.0dev4`, `1.2post1` -> Pep440; anything else -> None."""
    found = _PATTERN.fullmatch(text.strip())
    if found is None:
        return None
    release = tuple(int(n) for n in found["release"].split("."))
    parts = [f"{int(found['epoch'])}!" if found["epoch"] else ""]
    parts.append(".".join(map(str, release)))
    if found["pre"]:
        parts.append(_PRE.get(found["pre_l"].lower(), "rc") + str(int(found["pre_n"] or 0)))
    if found["post"]:
        parts.append(f".post{int(found['post_n1'] or found['post_n2'] or 0)}")
    if found["dev"]:
        parts.append(f".dev{int(found['dev_n'] or 0)}")
    if found["local"]:
        parts.append("+" + re.sub(r"[-_]", ".", found["local"].lower()))
    dev = bool(found["dev"])
    return Pep440("".join(parts), release, bool(found["pre"]) or dev, bool(found["post"]), dev)
