"""What a run shows and leaves: log lines and groups, outputs, the step summary."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ghpkg.errors import GhpkgError

if TYPE_CHECKING:  # the records of versions, delete, doctor and migrate; imported where made
    from ghpkg.doctor_report import DoctorReport
    from ghpkg.migration.report import MigrationReport
    from ghpkg.retention import PackageVersion


@dataclass
class Log:
    """Progress on stderr; in a workflow, with ::group::, ::warning:: and ::error:: commands."""

    workflow: bool = False
    quiet: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    terminal: bool = False  # stderr is a terminal: progress is redrawn in place
    _drawn: bool = field(default=False, init=False, repr=False)  # a progress line is showing

    def info(self, message: str) -> None:
        """A progress line (hidden by --quiet)."""
        if not self.quiet:
            self._write(inert(message))

    def status(self, message: str) -> None:
        """A passing progress line: redrawn in place on a terminal, a plain line elsewhere."""
        if self.quiet:
            return
        if not self.terminal:
            self._write(inert(message))
            return
        import shutil  # deferred: only a terminal's progress needs its width

        width = max(shutil.get_terminal_size().columns - 1, 20)
        self.stream.write("\r\x1b[K" + inert(message).replace("\n", " ")[:width])
        self.stream.flush()
        self._drawn = True

    def settle(self) -> None:
        """Take a progress line off the terminal (before the result goes to stdout)."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the run."""
        if self.workflow:
            self._write(f"::warning::{command_data(message)}")
        else:
            self._write(f"warning: {inert(message)}")

    def error(self, message: str) -> None:
        """The one line an expected failure ends with."""
        if self.workflow:
            self._write(f"::error::{command_data(message)}")
        self._write(f"error: {inert(message)}")

    def mask(self, value: str) -> None:
        """Ask the runner to hide a secret from every later log line (each of its lines)."""
        if self.workflow:
            for line in dict.fromkeys(part.strip() for part in value.splitlines()):
                if line:
                    self._write(f"::add-mask::{line}")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A foldable section in a workflow log, a heading elsewhere."""
        if self.workflow:
            self._write(f"::group::{command_data(title)}")
        else:
            self.info(f"== {title}")
        try:
            yield
        finally:
            if self.workflow:
                self._write("::endgroup::")

    def _write(self, text: str) -> None:
        if self._drawn:  # the progress line gives way to the next line
            self.stream.write("\r\x1b[K")
            self._drawn = False
        self.stream.write(text.rstrip("\n") + "\n")
        self.stream.flush()


def inert(text: str) -> str:
    """Text (often from the network) that neither a terminal nor a runner obeys.

    A CR is shown as `\\r` and any other control character but newline and tab as `\\xNN`
    (no escape sequence reaches the terminal); a line that would start a command (`::`, after
    spaces) or hold a legacy one (`##[`) gets a space inside the marker, so it is printed, not
    obeyed.
    """
    lines = visible(text.replace("\r\n", "\n").replace("\r", "\\r")).split("\n")
    return "\n".join(_defused(line) for line in lines)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Control characters (ESC, BEL, backspace, ... but not newline or tab) as `\\xNN`."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _defused(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("::"):
        line = line[: len(line) - len(stripped)] + ": :" + stripped[2:]
    return line.replace("##[", "# #[")


def command_data(text: str) -> str:
    """A workflow command's message, escaped as @actions/core escapes it: one line, always."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return visible(escaped).replace("##[", "# #[")


@dataclass(frozen=True)
class Result:
    """What an operation produced; the faces turn its fields into the action's outputs."""

    images: tuple[str, ...]
    digest: str = ""
    image_id: str = ""
    registry: str = ""
    package_url: str = ""
    lines: tuple[str, ...] = ()  # what stdout shows instead of the images (versions, delete)
    versions: tuple[PackageVersion, ...] | None = None  # set by versions and delete (kept)
    deleted: tuple[PackageVersion, ...] | None = None  # set by delete
    doctor: DoctorReport | None = None  # set by doctor
    migration: MigrationReport | None = None  # set by migrate
    matrix: str | None = None  # JSON, set by migrate --dry-run --shards: a strategy.matrix
    failure: str = ""  # the error line of a run that reported, then failed (Unfinished)

    def outputs(self) -> dict[str, str]:
        """The outputs by name, as action.yml declares them."""
        import json

        values = {
            "image": self.images[0] if self.images else "",
            "images": "\n".join(self.images),
            "digest": self.digest,
            "image-id": self.image_id,
            "registry": self.registry,
            "package-url": self.package_url,
        }
        extra = {
            "versions": None if self.versions is None else _versions_json(self.versions),
            "deleted": None if self.deleted is None else _versions_json(self.deleted),
            "doctor": None
            if self.doctor is None
            else json.dumps(self.doctor.as_json(), ensure_ascii=False, separators=(",", ":")),
            "migration": None
            if self.migration is None
            else json.dumps(self.migration.as_json(), separators=(",", ":")),
            "matrix": self.matrix,
        }
        return values | {key: value for key, value in extra.items() if value is not None}

    def as_json(self, operation: str) -> str:
        """The one JSON document `--json` prints: the outputs under their action.yml names.

        Outputs that hold JSON are JSON in it, and those of one item a line are lists.
        """
        import json

        document: dict[str, object] = {"operation": operation, "ok": not self.failure}
        for key, value in self.outputs().items():
            if key in JSON_OUTPUTS:
                document[key] = json.loads(value)
            elif key in LIST_OUTPUTS:
                document[key] = value.splitlines()
            else:
                document[key] = value
        document["lines"] = list(self.lines)
        if self.failure:
            document |= {"error": self.failure, "exit_code": 1}
        return json.dumps(document, separators=(",", ":"))


class Unfinished(GhpkgError):
    """A run that reports, then fails (doctor's checklist, migrate's table): the result is
    shown and written like any other, and the run ends with this error (exit 1).
    """

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = replace(result, failure=str(self))


# outputs that hold JSON
JSON_OUTPUTS = frozenset(
    {"versions", "deleted", "doctor", "json", "migration", "metadata", "matrix"}
)
LIST_OUTPUTS = frozenset({"images", "tags", "labels"})  # outputs of one item a line


def _versions_json(found: tuple[PackageVersion, ...]) -> str:
    import json

    return json.dumps([v.as_json() for v in found], separators=(",", ":"))


def failure_json(operation: str, message: str, exit_code: int) -> str:
    """The JSON document `--json` prints when a run fails: what `error:` says, and the code."""
    import json

    document = {"operation": operation, "ok": False, "error": message, "exit_code": exit_code}
    return json.dumps(document, separators=(",", ":"))


def append_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append `key=value` lines (multi-line values in GitHub's heredoc form)."""
    import uuid  # deferred: uuid imports platform, which `ghpkg --help` need not pay for

    with path.open("a", encoding="utf-8") as file:
        for key, value in values.items():
            if "\n" in value:
                delimiter = f"ghpkg_{uuid.uuid4().hex}"
                file.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                file.write(f"{key}={value}\n")


def append_summary(path: Path, operation: str, result: Result) -> None:
    """Append a short Markdown table of the result to the step summary."""
    if result.migration is not None:
        _migration_summary(path, result.migration, result.lines)
        return
    rows = [f"| image | {_code(image)} |" for image in result.images]
    rows += [f"| {operation} | {_code(line)} |" for line in result.lines]
    rows += [
        f"| digest | {_code(result.digest)} |" if result.digest else "",
        f"| image ID | {_code(result.image_id)} |" if result.image_id else "",
        f"| registry | {_code(result.registry)} |" if result.registry else "",
        f"| package | {_code(result.package_url)} |" if result.package_url else "",
    ]
    body = "\n".join(row for row in rows if row)
    with path.open("a", encoding="utf-8") as file:
        file.write(f"### ghpkg {operation}\n\n| | |\n|---|---|\n{body}\n\n")


def _migration_summary(path: Path, migration: MigrationReport, lines: tuple[str, ...]) -> None:
    """migrate's summary: one row an image (its report line's columns), then the totals."""
    from ghpkg.migration.plan import ImageStatus

    totals = migration.totals
    counts = ", ".join(
        f"{totals.count(status)} {status}" for status in ImageStatus if totals.count(status)
    )
    head = "| status | image | to | tags | note |\n|---|---|---|---|---|"
    rows = ["| " + " | ".join(_code(cell) for cell in line.split("\t")) + " |" for line in lines]
    with path.open("a", encoding="utf-8") as file:
        file.write(f"### ghpkg migrate\n\n{counts or 'nothing to migrate'}\n\n{head}\n")
        file.write("".join(row + "\n" for row in rows) + "\n")


def _code(value: str) -> str:
    """A table cell's code span: no backtick to leave it, no pipe or line break to leave the row.

    Inside a code span Markdown renders no link, image or HTML.
    """
    flat = " ".join(value.replace("`", "'").split()).replace("|", "\\|")
    return f"`{flat}`"
