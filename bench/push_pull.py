"""Benchmark: the `ghpkg` command against `docker push` / `docker pull` of the same image.

Run as root on the test machine; it starts the GHES-like test bed and the engines it needs:

    python bench/push_pull.py --engines all          # the full run (see README: Benchmarks)
    python bench/push_pull.py --engines 20.10 --quick  # a smoke run: small images, 1 pair

Every measurement is the wall time of one child process, as a user runs it: `python -m ghpkg
push|pull ...` (start-up, probes, token and engine checks included; the token on stdin with
`--password-stdin`) to and from the bed's front (TLS, nginx, Basic auth), and what a user would
run instead, on the same engine: with `--baseline fair` (the default) `docker login
--password-stdin` + `docker push|pull` as one timed command, through the bed's plain front
(testbed/plain_front.py: the same TLS, Basic auth and nginx before the same registry, none of
GHES's rules); with `--baseline plain` `docker push|pull` straight to the registry behind
(127.0.0.1:5000, plain HTTP, no auth), the limit of this machine. Runs come in pairs, docker
first in even pairs and ghpkg first in odd ones. Each push is of a freshly built image (new
random content: nothing is in the registry or the engine yet); each pull is of the image ghpkg
pushed in that pair, removed from the engine before every pull (on the containerd store with
what its content store kept of it, as on a fresh runner). `--src` runs another tree's ghpkg (a
before/after). With the fair baseline the engine trusts the bed's CA for the plain front and
for the instance's registry host, as a user's engine trusts theirs. A transport ghpkg refuses on an
engine is recorded as refused. Also: a push whose blobs are all present (ghpkg with its digest
cache and without), one big layer both ways (peak RSS of the ghpkg process, from wait4), and
`ghpkg --help`. Writes every timing as JSON and the markdown tables under --out, and prints the
tables.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(_ROOT), str(_ROOT / "src")]

from bench import report, timing  # noqa: E402 - after the path set-up above
from bench.report import Measure  # noqa: E402
from bench.workloads import MB, WORKLOADS, layers  # noqa: E402

if TYPE_CHECKING:
    import docker

    from testbed.bed import Testbed

BACKEND = "127.0.0.1:5000"
OWNER, REPOSITORY = "octo-org", "hello-world"
TRANSPORTS = ("registry", "engine", "auto")
HELP_RUNS = 10
SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
T = TypeVar("T")


@dataclass
class Target:
    """One engine, and how both tools reach it and the registries."""

    engine: str
    client: docker.DockerClient
    ghpkg_env: dict[str, str]
    docker_env: dict[str, str]
    bed_host: str  # ghpkg's --hostname
    registry_host: str  # where ghpkg pushes (subdomain isolation: docker.HOSTNAME)
    username: str
    token: str
    ca_file: Path
    run_id: str
    baseline: str  # where docker pushes: "fair" (the plain front, after docker login) or "plain"
    python: str  # the interpreter that runs ghpkg (--python: e.g. the action's venv, no isal)
    content_store: Path | None = None  # the engine's containerd socket (the containerd store)

    @property
    def docker_registry(self) -> str:
        """The registry host the docker side pushes to and pulls from."""
        from testbed.plain_front import PLAIN_HOST

        return PLAIN_HOST if self.baseline == "fair" else BACKEND


class Bench:
    """The measurements of one run, and the steps that make them."""

    def __init__(
        self, target: Target, docker_cli: str, measures: list[Measure], problems: list[str]
    ) -> None:
        self.t = target
        self.docker = docker_cli
        self.measures = measures  # the run's, appended to as they come
        self.problems = problems  # what broke a pair (not ghpkg's failures: those are measures)
        self.refused: set[tuple[str, str]] = set()  # (op, transport) ghpkg refused here
        self._count = 0

    # --- the two tools -----------------------------------------------------------------------

    def name(self, kind: str) -> str:
        """A repository name no earlier push used."""
        self._count += 1
        return f"bench-{self.t.run_id}-{kind}{self._count}"

    def ghpkg(
        self,
        op: str,
        image: str,
        version: str,
        transport: str,
        *extra: str,
        cache: Path | None = None,
    ) -> timing.Child:
        """`python -m ghpkg OP` against the bed, the token on stdin."""
        argv = [self.t.python, "-m", "ghpkg", op, "--hostname", self.t.bed_host]
        argv += ["--owner", OWNER, "--repository", REPOSITORY, "--image", image]
        argv += ["--version", version, "--transport", transport, "--ca-file", str(self.t.ca_file)]
        argv += ["--username", self.t.username, "--password-stdin", *extra]
        env = self.t.ghpkg_env | ({"XDG_CACHE_HOME": str(cache)} if cache else {})
        return timing.run(argv, env, stdin=self.t.token + "\n")

    def docker_cli(self, *args: str) -> timing.Child:
        """The docker CLI against this engine."""
        return timing.run([self.docker, *args], self.t.docker_env)

    def docker_transfer(self, op: str, ref: str) -> timing.Child:
        """`docker push|pull REF` as a user runs it: with the fair baseline, `docker login
        --password-stdin` first, the two timed as one command (a shell runs them)."""
        if self.t.baseline != "fair":
            return self.docker_cli(op, ref)
        host = self.t.docker_registry
        script = '"$0" login --username "$1" --password-stdin "$2" >/dev/null && "$0" "$3" "$4"'
        argv = ["sh", "-c", script, self.docker, self.t.username, host, op, ref]
        return timing.run(argv, self.t.docker_env, stdin=self.t.token + "\n")

    def record(self, child: timing.Child, tool: str, first: bool, **fields: Any) -> timing.Child:
        """Keep one child's figures as a Measure."""
        refused = tool == "ghpkg" and timing.refused(child)
        via = timing.transport_used(child.stderr) if tool == "ghpkg" else ""
        self.measures.append(
            Measure(
                engine=self.t.engine,
                tool=tool,
                first=first,
                wall_s=round(child.wall_s, 4),
                rss_mb=round(child.rss_mb, 1),
                exit_code=child.exit_code,
                error=child.error,
                refused=refused,
                via=via,
                **(fields | {"extra": dict(fields.get("extra", {}))}),  # each its own extra
            )
        )
        if tool == "ghpkg":
            self.measures[-1].extra["chose"] = timing.transport_line(child.stderr)
            if "The engine pushes straight to" in child.stderr:  # no relay (issue 26)
                refused = "pushing through ghpkg's loopback registry instead" in child.stderr
                self.measures[-1].extra["straight"] = "refused" if refused else "yes"
        if child.exit_code:
            print(f"  {tool} {fields['op']} {fields['transport']}: {child.error}", file=sys.stderr)
        return child

    def pair(
        self,
        pair: int,
        docker: Callable[[], timing.Child],
        ghpkg: Callable[[], timing.Child],
        **fields: Any,
    ) -> tuple[timing.Child, timing.Child]:
        """Run both sides of one pair in this pair's order; record both."""
        first = timing.docker_first(pair)
        runs: dict[str, timing.Child] = {}
        for tool in ("docker", "ghpkg") if first else ("ghpkg", "docker"):
            runs[tool] = self.record(
                (docker if tool == "docker" else ghpkg)(),
                tool,
                (tool == "docker") == first,
                pair=pair,
                **fields,
            )
        return runs["docker"], runs["ghpkg"]

    def last(self, tool: str) -> Measure:
        """The latest measure of a tool."""
        return next(m for m in reversed(self.measures) if m.tool == tool)

    # --- the engine's images ---------------------------------------------------------------------

    def build(self, workload: str, size_mb: int) -> str:
        """A fresh image of the workload (new random content); its ID."""
        from testbed.images import build_layers

        seed = random.randrange(1 << 62)  # noqa: S311 - test data
        tag = f"bench-src/{self.t.run_id}:{uuid.uuid4().hex[:8]}"
        return build_layers(self.t.client, tag, layers(workload, size_mb), seed=seed)

    def remove(self, *images: str) -> None:
        """Remove local images (by ID or name, every tag of them), where they are."""
        import docker

        for image in images:
            with contextlib.suppress(docker.errors.ImageNotFound):
                self.t.client.images.remove(image, force=True)

    def remove_pulled(self, ref: str) -> None:
        """Remove what a pull left (its ID and so all its names)."""
        import docker

        with contextlib.suppress(docker.errors.ImageNotFound):
            self.remove(str(self.t.client.images.get(ref).id))
        self.remove(ref)

    def prune(self, blobs: list[str]) -> int:
        """On the containerd store, remove what it keeps of an image after the image is gone
        (its manifest, config and layers in the content store), as a fresh runner has none of
        it; only this image's blobs (new random content: no other image shares them), since
        others use the engine too. How many were there (0 elsewhere)."""
        if self.t.content_store is None:
            return 0
        ctr = ["ctr", "--address", str(self.t.content_store), "--namespace", "moby", "content"]
        listed = subprocess.run([*ctr, "ls", "--quiet"], capture_output=True, text=True).stdout
        there = [blob for blob in blobs if blob in listed.split()]
        if there:
            subprocess.run([*ctr, "rm", *there], capture_output=True, check=True)
        return len(there)

    # --- the cells ---------------------------------------------------------------------------

    def push_pair(
        self, workload: str, size_mb: int, transport: str, pair: int, repush: bool
    ) -> str | None:
        """docker push and ghpkg push of two fresh images; the ghpkg image's name if pushed."""
        if ("push", transport) in self.refused:
            return None
        mine, theirs = self.build(workload, size_mb), self.build(workload, size_mb)
        image = self.name("g")
        repo = f"{self.t.docker_registry}/{OWNER}/{REPOSITORY}/{self.name('d')}"
        cache = Path(tempfile.mkdtemp(prefix="ghpkg-bench-cache-"))
        fields = {
            "workload": workload,
            "transport": transport,
            "extra": {"image_mb": layer_mb(workload, size_mb)},
        }
        try:
            self.docker_cli("tag", theirs, f"{repo}:1")
            docker, ghpkg = self.pair(
                pair,
                lambda: self.docker_transfer("push", f"{repo}:1"),
                lambda: self.ghpkg("push", image, "1", transport, "--source", mine, cache=cache),
                op="push",
                **fields,
            )
            if ghpkg.exit_code and timing.refused(ghpkg):
                self.refused.add(("push", transport))
            if ghpkg.exit_code == 0:
                self.last("ghpkg").extra["pushed_mb"] = pushed_mb(f"{OWNER}/{REPOSITORY}/{image}")
            if repush and docker.exit_code == 0 and ghpkg.exit_code == 0:
                self.docker_cli("tag", theirs, f"{repo}:2")
                self.pair(
                    pair,
                    lambda: self.docker_transfer("push", f"{repo}:2"),
                    lambda: self.ghpkg(
                        "push", image, "2", transport, "--source", mine, cache=cache
                    ),
                    op="repush",
                    **fields,
                )
                empty = Path(tempfile.mkdtemp(prefix="ghpkg-bench-cache-"))
                child = self.ghpkg("push", image, "3", transport, "--source", mine, cache=empty)
                self.record(child, "ghpkg", False, pair=pair, op="repush-nocache", **fields)
                shutil.rmtree(empty, ignore_errors=True)
        finally:
            self.remove(mine, theirs)
            shutil.rmtree(cache, ignore_errors=True)
        return image if ghpkg.exit_code == 0 else None

    def pull_pair(self, workload: str, size_mb: int, transport: str, pair: int, image: str) -> None:
        """docker pull (the baseline's registry) and ghpkg pull (the bed) of one image, none of
        it local: the same stored image, which ghpkg pushed."""
        if ("pull", transport) in self.refused:
            return
        plain = f"{self.t.docker_registry}/{OWNER}/{REPOSITORY}/{image}:1"
        ours = f"{self.t.registry_host}/{OWNER}/{REPOSITORY}/{image}:1"

        blobs = stored_blobs(f"{OWNER}/{REPOSITORY}/{image}")
        kept: dict[str, int] = {}

        def docker_pull() -> timing.Child:
            self.remove_pulled(ours)
            kept["docker"] = self.prune(blobs)
            child = self.docker_transfer("pull", plain)
            self.remove_pulled(plain)
            return child

        def ghpkg_pull() -> timing.Child:
            self.remove_pulled(plain)
            kept["ghpkg"] = self.prune(blobs)
            child = self.ghpkg("pull", image, "1", transport)
            self.remove_pulled(ours)
            return child

        docker, ghpkg = self.pair(
            pair,
            docker_pull,
            ghpkg_pull,
            op="pull",
            workload=workload,
            transport=transport,
            extra={"image_mb": layer_mb(workload, size_mb)},
        )
        # layers the engine kept after the removal (the containerd store may keep content)
        self.last("docker").extra["already_there"] = docker.stdout.count("Already exists")
        for tool in ("docker", "ghpkg"):  # the image's blobs the prune found still there
            self.last(tool).extra["pruned_blobs"] = kept.get(tool, 0)
        if ghpkg.exit_code and timing.refused(ghpkg):
            self.refused.add(("pull", transport))

    def workload(
        self, workload: str, size_mb: int, transports: list[str], pairs: int, repush: bool
    ) -> None:
        """Every pair of one workload on this engine: pushes for each transport, then pulls."""
        for pair in range(pairs):
            pushed = [
                self.guarded(self.push_pair, workload, size_mb, transport, pair, repush)
                for transport in transports
            ]
            image = next((p for p in pushed if p), None)
            for transport in transports if image else ():
                self.guarded(self.pull_pair, workload, size_mb, transport, pair, image)
            print(f"{self.t.engine} {workload} pair {pair + 1}/{pairs} done", file=sys.stderr)

    def guarded(self, step: Callable[..., T], *args: Any) -> T | None:
        """Run one step; if the harness or the engine breaks (a build, a removal), say so in
        the results and go on with the next: one hiccup must not cost an hour-long run."""
        try:
            return step(*args)
        except Exception as exc:
            problem = f"{self.t.engine} {step.__name__}{args[:4]}: {type(exc).__name__}: {exc}"
            print(f"  {problem}", file=sys.stderr)
            self.problems.append(problem)
            return None


def layer_mb(workload: str, size_mb: int) -> int:
    """The image's size, uncompressed."""
    return round(sum(size for _kind, size in layers(workload, size_mb)) / MB)


def stored_blobs(path: str) -> list[str]:
    """The digests of what the plain registry stores for a tag `1`: manifest, config, layers."""
    request = urllib.request.Request(
        f"http://{BACKEND}/v2/{path}/manifests/1", headers={"Accept": SCHEMA2}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the bed's
        raw = answer.read()
    manifest = json.loads(raw)
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    return [
        digest,
        manifest["config"]["digest"],
        *(layer["digest"] for layer in manifest["layers"]),
    ]


def pushed_mb(path: str) -> float:
    """The compressed size of what ghpkg pushed: its manifest's layers, from the plain registry."""
    request = urllib.request.Request(
        f"http://{BACKEND}/v2/{path}/manifests/1", headers={"Accept": SCHEMA2}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - http://127.0.0.1
        manifest = json.load(answer)
    return round(sum(int(layer["size"]) for layer in manifest["layers"]) / MB, 1)


# --- around the cells --------------------------------------------------------------------------


def prune(bed: Testbed, run_id: str) -> None:
    """Delete this run's repositories, and the blobs only they hold, from the bed's backend
    storage: a full run pushes tens of GB of random content that nothing will read again."""
    v2 = bed.paths.storage / "docker" / "registry" / "v2"
    repos = v2 / "repositories" / OWNER / REPOSITORY
    ours = list(repos.glob(f"bench-{run_id}-*"))
    if not ours:
        return

    def digests(repo: Path) -> set[str]:
        links = [*repo.glob("_layers/sha256/*"), *repo.glob("_manifests/revisions/sha256/*")]
        return {link.name for link in links}

    mine = set().union(*map(digests, ours))
    for repo in ours:
        shutil.rmtree(repo, ignore_errors=True)
    others = [found.parent for found in (v2 / "repositories").glob("**/_layers")]
    kept = set().union(*map(digests, others))
    for digest in mine - kept:
        shutil.rmtree(v2 / "blobs" / "sha256" / digest[:2] / digest, ignore_errors=True)


def help_times(runs: int, python: str) -> dict[str, dict[str, Any]]:
    """`ghpkg --help` (the script beside PYTHON and `python -m ghpkg`), and `python -c pass`
    for the interpreter's own start-up here: every wall time and their median."""
    commands = {"python -m ghpkg --help": [python, "-m", "ghpkg", "--help"]}
    script = Path(python).parent / "ghpkg"
    if script.is_file():
        commands = {f"{script} --help": [str(script), "--help"], **commands}
    commands["python -c pass"] = [python, "-c", "pass"]
    times: dict[str, dict[str, Any]] = {}
    for name, argv in commands.items():
        walls = [round(timing.run(argv, os.environ).wall_s, 4) for _ in range(runs)]
        times[name] = {"runs_s": walls, "median_s": timing.median(walls)}
    return times


@contextlib.contextmanager
def load_sampler(every_s: float = 5.0) -> Iterator[list[float]]:
    """The 1-minute load average, sampled while the block runs."""
    samples = [os.getloadavg()[0]]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every_s):
            samples.append(os.getloadavg()[0])

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
        samples.append(os.getloadavg()[0])


def _env(**extra: str) -> dict[str, str]:
    """This process's environment without workflow or Docker settings, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DOCKER_"))}
    return env | extra


def _version(argv: list[str], env: dict[str, str] | None = None) -> str:
    """What a command prints (a version), or why it could not run."""
    try:
        environment = os.environ | env if env else None
        done = subprocess.run(argv, capture_output=True, text=True, check=False, env=environment)
    except OSError as exc:
        return str(exc)
    return done.stdout.strip() or done.stderr.strip()


def bench_engine(
    name: str,
    bed: Testbed,
    args: argparse.Namespace,
    run_id: str,
    big: bool,
    measures: list[Measure],
    problems: list[str],
) -> str:
    """Every cell on one engine (its measures go to the run's list); the engine's version."""
    import docker

    from testbed import engines

    engine = engines.start(name)
    config = Path(tempfile.mkdtemp(prefix="ghpkg-bench-docker-"))  # no credentials, no plugins
    target = Target(
        engine=name,
        client=docker.DockerClient(base_url=engine.base_url, version="auto", timeout=900),
        ghpkg_env=_env(DOCKER_HOST=engine.base_url, PYTHONPATH=str(args.src)),
        docker_env=_env(DOCKER_HOST=engine.base_url, DOCKER_CONFIG=str(config)),
        bed_host=bed.hostname,
        registry_host=bed.registry_host,
        username=bed.user("write"),
        token=bed.token("write"),
        ca_file=bed.ca_file,
        run_id=run_id,
        baseline=args.baseline,
        python=args.python,
        content_store=engines.RUN_DIR / name / "containerd" / "containerd.sock"
        if "containerd" in name
        else None,
    )
    bench = Bench(target, args.docker, measures, problems)
    try:
        for index, workload in enumerate(args.workloads):
            bench.workload(workload, args.size_mb, args.transports, args.pairs, index == 0)
            prune(bed, run_id)
        if big and args.big_layer_mb:
            bench.refused.clear()
            bench.workload("big", args.big_layer_mb, args.transports, 1, False)
            prune(bed, run_id)
    finally:
        target.client.close()
        shutil.rmtree(config, ignore_errors=True)
    return engine.version


def _options(argv: list[str]) -> argparse.Namespace:
    from testbed.engines import ENGINE_NAMES

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])

    def listed(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
        def parse(text: str) -> list[str]:
            names = list(choices) if text == "all" else text.split(",")
            if unknown := [n for n in names if n not in choices]:
                raise argparse.ArgumentTypeError(f"{unknown}: choose from {', '.join(choices)}")
            return names

        return parse

    parser.add_argument(
        "--engines",
        type=listed(ENGINE_NAMES),
        default=["20.10"],
        help=f"comma list of {', '.join(ENGINE_NAMES)}, or all (default 20.10)",
    )
    parser.add_argument(
        "--workloads",
        type=listed(WORKLOADS),
        default=list(WORKLOADS),
        help=f"comma list of {', '.join(WORKLOADS)} (default all)",
    )
    parser.add_argument(
        "--transports",
        type=listed(TRANSPORTS),
        default=list(TRANSPORTS),
        help="ghpkg's --transport values, comma list (default all)",
    )
    parser.add_argument("--size-mb", type=int, help="image size (default 300; --quick 16)")
    parser.add_argument("--pairs", type=int, help="pairs per cell (default 3; --quick 1)")
    parser.add_argument(
        "--big-layer-mb",
        type=int,
        help="the one-layer image, first engine only; 0 skips (default 1024)",
    )
    parser.add_argument(
        "--baseline",
        choices=("fair", "plain"),
        default="fair",
        help="docker login + push/pull through the bed's plain front (fair, default), or docker"
        " push/pull to the registry behind it without TLS or auth (plain: the machine's limit)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small, 1 pair")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the Python that runs ghpkg (default this one; the action's venv from "
        "action/install.sh runs it as the action installs it: without isal)",
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=_ROOT / "src",
        help="the ghpkg source tree that runs (default this tree's src; another tree's, such "
        "as main's, for a before/after)",
    )
    parser.add_argument(
        "--docker",
        default=shutil.which("docker") or "docker",
        help="the docker CLI (default: the one on PATH)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where the JSON and tables go (default bench/results; --quick: /tmp/ghpkg-bench)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.size_mb = args.size_mb or (16 if quick else 300)
    args.pairs = args.pairs or (1 if quick else 3)
    if args.big_layer_mb is None:
        args.big_layer_mb = 64 if quick else 1024
    args.out = args.out or (Path("/tmp/ghpkg-bench") if quick else _ROOT / "bench" / "results")
    return args


def main(argv: list[str]) -> int:
    """Parse options, run every cell, save and print the tables (what there is, if stopped)."""
    from testbed import engines
    from testbed.bed import Testbed

    args = _options(argv)
    started_at = datetime.datetime.now(datetime.timezone.utc)
    run_id = uuid.uuid4().hex[:6]
    # As `pip install` leaves it: ghpkg's bytecode compiled (this machine may set
    # PYTHONDONTWRITEBYTECODE, which would otherwise recompile every module at every start).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.src / "ghpkg")], check=True)
    ours = [name for name in args.engines if engines.running(name) is None]  # stopped after
    bed = Testbed(os.environ.get("GHPKG_TESTBED_DIR") or "/tmp/ghpkg-testbed")
    measures: list[Measure] = []
    problems: list[str] = []
    versions: dict[str, str] = {}
    complete = False
    with load_sampler() as loads:
        help_ = help_times(5 if args.quick else HELP_RUNS, args.python)  # before our own load
        bed_started = bed.start()
        trust = contextlib.ExitStack()
        try:
            if args.baseline == "fair":  # as a user's engine trusts their registry's CA: the
                # plain front's for docker, the instance's for ghpkg (a push may go straight)
                from testbed.certs_d import trusting
                from testbed.plain_front import PLAIN_HOST

                trust.enter_context(trusting(bed.ca_file, PLAIN_HOST, bed.registry_host))
            for index, name in enumerate(args.engines):
                try:
                    versions[name] = bench_engine(
                        name, bed, args, run_id, index == 0, measures, problems
                    )
                except Exception as exc:  # e.g. an engine that does not start: the others run
                    problems.append(f"{name}: {type(exc).__name__}: {exc}")
                    print(f"  {problems[-1]}", file=sys.stderr)
            complete = True
        finally:
            trust.close()
            if bed_started:
                bed.stop()
            for name in ours:
                engines.stop(name)
            run = _run_facts(args, argv, started_at, loads, versions, complete)
            result = {"run": run, "measures": [asdict(m) for m in measures], "help": help_}
            result["problems"] = problems
            _save(result, args.out, started_at, args.quick)
    return 0


def _run_facts(
    args: argparse.Namespace,
    argv: list[str],
    started_at: datetime.datetime,
    loads: list[float],
    versions: dict[str, str],
    complete: bool,
) -> dict[str, Any]:
    """What the run was: when, how, on what, under which load."""
    deflater = [args.python, "-c", "from ghpkg.registry_transport import compress as c"]
    deflater[-1] += "; print(c.DEFLATER.__name__)"
    return {
        "date": started_at.isoformat(timespec="seconds"),
        "minutes": round(
            (datetime.datetime.now(datetime.timezone.utc) - started_at).total_seconds() / 60
        ),
        "complete": complete,
        "command": shlex.join(["python", "bench/push_pull.py", *argv]),
        "cores": os.cpu_count(),
        "load_samples": list(loads),
        "load_min": min(loads),
        "load_max": max(loads),
        "engines": versions,
        "docker_cli": _version([args.docker, "version", "--format", "{{.Client.Version}}"]),
        "python": _version([args.python, "-c", "import sys; print(sys.version.split()[0])"]),
        "ghpkg_python": args.python,
        "deflater": _version(deflater, {"PYTHONPATH": str(args.src)}),
        "ghpkg": _version(["git", "-C", str(args.src), "describe", "--always", "--dirty"]),
        "ghpkg_src": str(args.src),
        "uncommitted": _version(["git", "-C", str(args.src), "status", "--short", "."]),
        "baseline": args.baseline,
        "options": {k: str(v) for k, v in vars(args).items()},
    }


def _save(result: dict[str, Any], out: Path, started_at: datetime.datetime, quick: bool) -> None:
    """DATE.json (everything) and DATE.md (the tables) under out; the tables on stdout."""
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{started_at:%Y%m%d-%H%M%S}{'-quick' if quick else ''}"
    tables = report.render(result)
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    stem.with_suffix(".md").write_text(tables)
    print(tables, end="")
    print(f"\nsaved {stem}.json and .md", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
