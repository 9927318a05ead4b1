"""The commands and the shape of an option: the vocabulary `ghpkg.faces.options` is written in."""

from __future__ import annotations

from typing import Literal, NamedTuple

# text: one value; flag: on/off (the action: true or false); lines: repeatable (the action: one
# a line); words: repeatable (the action: newline- or comma-separated, like `version`).
Kind = Literal["text", "flag", "lines", "words"]


class Command(NamedTuple):
    """A subcommand: what it does, and real examples for its --help and the reference."""

    name: str
    help: str
    examples: tuple[str, ...]


COMMANDS = (
    Command(
        "push",
        "build (or take --source) and push every --version",
        (
            "ghpkg push --image app --version 1.0 --version latest",
            "ghpkg push --hostname ghes.example.com --owner octo-org --repository hello-world "
            "--image app --source app:dev --version 1.0 --password-stdin < token.txt",
            "ghpkg push --image app --platform linux/arm64 --secret id=npm,env=NPM_TOKEN --json",
        ),
    ),
    Command(
        "pull",
        "pull an image by tag into the local engine",
        (
            "ghpkg pull --image app --version 1.0",
            "ghpkg pull --image app --version 1.0 --transport registry --json",
            "ghpkg pull --registry container --owner octo-org --image app --version latest",
        ),
    ),
    Command(
        "ref",
        "print the full image reference (no network)",
        (
            "ghpkg ref --hostname ghes.example.com --subdomain-isolation true --owner octo-org "
            "--repository hello-world --image app --version 1.0",
            "ghpkg ref --image app --sha-tag --json",
        ),
    ),
    Command(
        "versions",
        "list the package's versions: tags, id, created (REST API)",
        ("ghpkg versions --image app", "ghpkg versions --image app --json"),
    ),
    Command(
        "delete",
        "delete package versions: those --version names, or those --keep N, --older-than or "
        "--untagged select; what is kept wins: a version stays if it is among the newest N "
        "tagged, matches --keep-tags, is newer than --older-than, or an index that stays names it",
        (
            "ghpkg delete --image app --keep 5 --dry-run",
            "ghpkg delete --image app --version 1.0-rc1 --version 1.0-rc2",
            "ghpkg delete --registry container --image app --keep 10 --keep-tags '^v\\d+\\.' "
            "--older-than 30d --untagged --dry-run",
        ),
    ),
    Command(
        "doctor",
        "check host, TLS, registry, API, token and engine (exit 1: a push would fail)",
        (
            "ghpkg doctor --hostname ghes.example.com --ca-file ca.pem",
            "ghpkg doctor --transport registry --json",
        ),
    ),
    Command(
        "copy",
        "copy versions from the Docker registry to the Container registry (no engine)",
        (
            "ghpkg copy --image app --version 1.0 --version 1.1",
            "ghpkg copy --image app --version 1.0 --to-owner new-org --to-image svc --json",
        ),
    ),
    Command(
        "migrate",
        "move every Docker-registry image of a repository, organization or user to the "
        "Container registry, digests kept (plan, copy, report; resumable)",
        (
            "ghpkg migrate --owner octo-org --repository hello-world --dry-run",
            "ghpkg migrate --scope org --owner octo-org --jobs 8 --json",
            "ghpkg migrate --scope user --owner octocat --name-map '{repository}-{image}'",
        ),
    ),
    Command(
        "join",
        "point each --version at the VERSION-OS-ARCH tags matrix jobs pushed (no engine)",
        (
            "ghpkg join --image app --version 1.0 --platform linux/amd64,linux/arm64",
            "ghpkg join --registry container --owner octo-org --image app --version 1.0 "
            "--platform linux/amd64 --platform linux/arm64 --json",
        ),
    ),
    Command(
        "config",
        "print the hostname, subdomain isolation, owner, repository and CA file ghpkg would use "
        "here, each with where it came from, and where the token would come from (no network)",
        (
            "ghpkg config",
            "ghpkg config --hostname ghes.example.com --json",
        ),
    ),
    Command(
        "serve",
        "a registry on 127.0.0.1 in front of the instance's: ghpkg holds the token, so any "
        "client (docker, crane, skopeo) pulls or pushes there without one",
        (
            "ghpkg serve --listen 127.0.0.1:5050 &",
            "ghpkg serve --allow-push --listen 127.0.0.1:0",
        ),
    ),
)
VERBS = tuple(command.name for command in COMMANDS)
CONFIG = "config"  # not an operation: the command line's own, it prints its defaults


def only(*names: str) -> frozenset[str]:
    """The verbs an option is for, by name."""
    return frozenset(names)


NETWORK = frozenset(VERBS) - {"ref", CONFIG}  # every verb that goes on the network
IMAGE = frozenset(VERBS) - {"doctor", "serve", "migrate", CONFIG}
BUILD = frozenset({"push"})
PLATFORMS = frozenset({"push", "join"})  # the verbs that take --platform


class Option(NamedTuple):
    """One option: its CLI flag, its action input, its kind, default and help."""

    name: str  # the RawInputs value and argparse dest
    help: str  # the CLI's help (and the action's description unless `description` is set)
    verbs: frozenset[str] = frozenset()  # the subcommands that take it (empty: action only)
    kind: Kind = "text"
    default: str = ""
    flag: str | None = ""  # "": --NAME-WITH-DASHES; None: not on the command line
    action_input: str | None = ""  # "": NAME-WITH-DASHES; None: not an action input
    description: str = ""  # action.yml's description, where it says more than the help
    action_default: str | None = None  # action.yml's default, where it is an expression
    metavar: str | None = None
    choices: tuple[str, ...] = ()  # shown in --help and the reference; resolve() checks them
    face: bool = False  # read by the face itself (token, --json), not a RawInputs value
    verb_help: tuple[tuple[str, str], ...] = ()  # (verb, help) where a verb's help differs

    def help_for(self, verb: str) -> str:
        """The help this option shows in one verb's --help and section of the reference."""
        return dict(self.verb_help).get(verb, self.help)

    @property
    def cli_flag(self) -> str | None:
        """The command line's spelling, e.g. `--build-arg`."""
        if self.flag is None:
            return None
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def input_name(self) -> str | None:
        """The action input's name, e.g. `build-args`."""
        if self.action_input is None:
            return None
        return self.action_input or self.name.replace("_", "-")

    @property
    def placeholder(self) -> str:
        """What --help shows for the value: the choices, a metavar or the name in capitals."""
        return "|".join(self.choices) or self.metavar or self.name.upper()

    @property
    def yml_default(self) -> str:
        """The default action.yml declares."""
        if self.action_default is not None:
            return self.action_default
        return (self.default or "false") if self.kind == "flag" else self.default

    @property
    def yml_description(self) -> str:
        """The description action.yml declares."""
        return self.description or self.help
