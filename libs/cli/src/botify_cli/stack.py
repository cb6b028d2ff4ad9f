"""``botify up`` (``make up``): run the whole system on one machine, in the foreground, until Ctrl-C.

It starts the local Kafka broker (unless one already answers), creates the topics, generates the demo world,
starts every service in :data:`SERVICES` and the demo traffic as child processes, prints the URLs, and on Ctrl-C
(or when a child dies) stops everything it started, each by its own PID. State lives under ``var/``, so the next
``make up`` resumes where this one stopped. A new service is one more :class:`Service` in ``SERVICES``.

No child outlives it: each is started with :func:`~botify_core.processes.die_with_parent`, so the kernel stops the
children even when ``botify up`` itself is killed with SIGKILL. And stopping never depends on printing: what it
says goes to ``var/logs/up.log`` too, and a console that went away (``make up | tee`` with tee killed by the same
Ctrl-C) is dropped instead of failing the clean-up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from botify_api.settings import ApiSettings
from botify_audio.settings import AudioSettings
from botify_core.admin import ensure_topics
from botify_core.local_kafka import KafkaError, LocalKafka
from botify_core.processes import die_with_parent, free_port, port_open, signals_deferred
from botify_core.settings import KafkaSettings, PathSettings
from botify_datasets.synthetic import prepare_demo
from botify_ingest.settings import IngestSettings
from botify_recommender.settings import RecommenderSettings


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    port: int
    ready_path: str = "/readyz"
    links: dict[str, str] = field(default_factory=dict)  # label -> path, printed when up

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def services() -> list[Service]:
    """Every long-running service of Botify, in start order."""
    ingest = IngestSettings()
    return [
        Service("ingest", [sys.executable, "-m", "botify_ingest.main"], ingest.port,
                links={"API docs": "/docs", "listens": "/v1/listens", "metrics": "/metrics"}),
        Service("audio-worker", [sys.executable, "-m", "botify_audio.main"], AudioSettings().port,
                links={"metrics": "/metrics"}),
        Service("recommender", [sys.executable, "-m", "botify_recommender.app", "worker"],
                RecommenderSettings().port, links={"metrics": "/metrics"}),
        Service("gateway", [sys.executable, "-m", "botify_api.main"], ApiSettings().port,
                links={"dashboard": "/", "API docs": "/docs",
                       "recs": "/v1/recommendations?user_id=syn-u0001", "metrics": "/metrics"}),
    ]


#: the port setting of each service ``botify up`` may start (one line per service, beside its entry above)
PORT_SETTINGS = ("BOTIFY_INGEST_PORT", "BOTIFY_RECOMMENDER_PORT", "BOTIFY_AUDIO_PORT", "BOTIFY_API_PORT")


def isolated_env(var_dir: Path) -> dict[str, str]:
    """The environment of a ``botify up`` that shares nothing with another: its own ``var/``, and free ports for
    Kafka and every service (for tests and benchmarks that run the whole stack beside a user's)."""
    return os.environ | {name: str(free_port()) for name in PORT_SETTINGS} | {
        "BOTIFY_VAR_DIR": str(var_dir), "BOTIFY_KAFKA_TOPIC_PREFIX": "",
        "BOTIFY_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


class Stack:
    def __init__(self, paths: PathSettings, kafka: KafkaSettings) -> None:
        self.paths = paths
        self.kafka = kafka
        self.children: list[Child] = []
        self.broker: LocalKafka | None = None
        self.logs = paths.var_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.console = Console(self.logs / "up.log")

    def say(self, message: str) -> None:
        self.console.show(f"[botify up] {message}")

    def start_kafka(self) -> None:
        broker = LocalKafka.for_settings(self.paths, self.kafka)
        if port_open(broker.port):
            if broker.pid() is None:
                self.say(f"a Kafka broker already answers at {self.kafka.bootstrap_servers}; using it")
                return
            self.say(f"Kafka from {broker.home} is already running (PID {broker.pid()}); using it")
            return
        self.say(f"starting Kafka {broker.version} at {broker.bootstrap_servers} (data in {broker.home})")
        pid = broker.start(supervised=True)
        self.broker = broker
        self.say(f"Kafka up (PID {pid})")

    def spawn(self, name: str, argv: list[str]) -> Child:
        log = self.logs / f"{name}.log"
        # children run in their own session (the terminal's Ctrl-C is ours to relay), so no Ctrl-C may land
        # between starting one and recording it
        with signals_deferred(), log.open("ab") as handle:
            process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, env=os.environ.copy(), preexec_fn=die_with_parent())
            child = Child(name, process, log)
            self.children.append(child)
        return child

    def start_service(self, service: Service, timeout_s: float = 60.0) -> None:
        if port_open(service.port):
            raise RuntimeError(f"port {service.port} for {service.name} is taken; free it or set its port setting")
        child = self.spawn(service.name, service.argv)
        deadline = time.monotonic() + timeout_s
        delay = 0.1
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited with {child.process.returncode}; see {child.log}:\n"
                                       + tail(child.log))
                try:
                    if client.get(service.base_url + service.ready_path).status_code == 200:
                        self.say(f"{service.name} ready at {service.base_url} (PID {child.process.pid})")
                        return
                except httpx.TransportError:
                    pass
                time.sleep(delay)  # another process is starting; poll its readiness endpoint with a backoff
                delay = min(delay * 1.5, 1.0)
        raise RuntimeError(f"{service.name} was not ready within {timeout_s:.0f} s; see {child.log}")

    def stop(self) -> None:
        for child in reversed(self.children):
            terminate(child.process)
            self.say(f"stopped {child.name} (PID {child.process.pid})")
        self.children.clear()
        if self.broker is not None:
            self.broker.stop()
            self.say("stopped Kafka")
            self.broker = None

    def watch(self) -> int:
        """Block until a child process exits on its own (then 1); Ctrl-C interrupts the wait."""
        # wait for any child to exit, without reaping it, so its Popen still learns the exit code
        exited = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        pid = exited.si_pid if exited is not None else -1
        for child in self.children:
            if child.process.pid == pid:
                self.say(f"{child.name} exited with {child.process.wait()}; last lines of {child.log}:\n"
                         + tail(child.log))
                return 1
        self.say(f"process {pid} exited (Kafka?); see {self.paths.var_dir / 'kafka' / 'broker.log'}")
        return 1


class Console:
    """Our standard output, plus a journal file; a console that went away is dropped, never an error.

    Writing to a closed pipe fails with EPIPE; after the first failure the console is pointed at /dev/null (so
    Python's own flush at exit cannot fail either) and only the journal keeps the messages.
    """

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.attached = True

    def show(self, text: str) -> None:
        with self.journal.open("a") as handle:
            handle.write(text + "\n")
        if not self.attached:
            return
        try:
            print(text, flush=True)
        except OSError:  # EPIPE (the reader is gone) or EIO (the terminal is gone)
            self.attached = False
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)


def terminate(process: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """SIGTERM the child by its PID, SIGKILL if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def access_note(ingest: IngestSettings) -> str:
    """What a producer needs to send listens, said at start-up so nobody runs an open service unknowingly."""
    where = f"{ingest.host}:{ingest.port}"
    if ingest.token is not None:
        return f"ingest at {where} requires 'Authorization: Bearer <BOTIFY_INGEST_TOKEN>' on /v1/listens"
    return (f"ingest at {where} accepts listens without a token (set BOTIFY_INGEST_TOKEN to require one; "
            "docs/operations.md, Access)")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_stack(demo_rate: float) -> int:
    """Run until Ctrl-C or SIGTERM (exit 0, at any moment, start-up included) or a failure (exit 1)."""
    # explicit handlers: a shell starting us in the background would otherwise hand us SIGINT ignored
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    paths, kafka = PathSettings(), KafkaSettings()
    stack = Stack(paths, kafka)
    try:
        stack.start_kafka()
        outcomes = asyncio.run(ensure_topics(kafka))
        stack.say(f"topics ready ({sum(v == 'created' for v in outcomes.values())} created, "
                  f"{sum(v.startswith('exists') for v in outcomes.values())} already there)")
        for name, outcome in outcomes.items():
            if outcome.startswith("exists, but"):  # drift is reported, never changed: say so where it is seen
                stack.say(f"warning: {name} {outcome}")
        world = prepare_demo(paths.var_dir / "demo")
        stack.say(f"demo world in {paths.var_dir / 'demo'}: {len(world.tracks)} tracks, {len(world.users)} listeners")
        from botify_audio.training_run import ensure_demo_model  # torch: only imported where it is used

        audio_model = ensure_demo_model(AudioSettings())  # first start only: the worker loads it by version
        if audio_model:
            stack.say(f"trained audio model {audio_model} on the demo clips ({AudioSettings().model_root})")
        ingest = None
        for service in services():
            stack.start_service(service)
            ingest = ingest or service
        assert ingest is not None
        traffic = stack.spawn("demo-traffic", [sys.executable, "-m", "botify_cli.main", "replay", "synthetic",
                                               "--rate", str(demo_rate), "--via", ingest.base_url, "--no-progress"])
        stack.say(f"demo traffic: {demo_rate:g} listens/s through ingest (PID {traffic.process.pid})")
        stack.say(access_note(IngestSettings()))
        lines = ["", "Botify is up:", f"  {'Kafka':20} {kafka.bootstrap_servers}  (state in {paths.var_dir})"]
        for service in sorted(services(), key=lambda s: "dashboard" not in s.links):  # the dashboard first
            lines += [f"  {service.name + ' ' + label:20} {service.base_url}{path}"
                      for label, path in service.links.items()]
        lines += [f"  {'logs':20} {stack.logs}", "Press Ctrl-C to stop everything.", ""]
        stack.console.show("\n".join(lines))
        return stack.watch()
    except KeyboardInterrupt:
        stack.say("stopping")
        return 0
    except (KafkaError, RuntimeError, OSError) as exc:
        stack.say(f"failed: {exc}")
        return 1
    finally:
        # a second Ctrl-C must not cut the clean-up short and leave children running
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
