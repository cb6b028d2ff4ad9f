"""Run a real single-node Apache Kafka broker (KRaft) on 127.0.0.1, for tests, `make up` and benchmarks.

The broker's jars come from Maven Central, pinned by ``infra/kafka/pom.xml``, and are cached outside git in
``~/.cache/botify/kafka/<version>/libs``. A broker lives in a home folder (storage, config, log, PID file), so a
second start on the same folder resumes its data.

    broker = LocalKafka(Path("var/kafka"), port=9092)
    broker.start()      # formats storage on first use, waits until the broker says it is up
    ...
    broker.stop()       # SIGTERM to its own PID, SIGKILL if it does not exit in time
"""

from __future__ import annotations

import base64
import fcntl
import logging
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from botify_core.processes import die_with_parent, free_port, pid_alive, port_open, signals_deferred, terminate
from botify_core.settings import REPO_ROOT, KafkaSettings, PathSettings

log = logging.getLogger(__name__)
INFRA_DIR = REPO_ROOT / "infra" / "kafka"
READY_LINE = "Kafka Server started"
DEFAULT_JVM_OPTS = ("-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true")


class KafkaError(RuntimeError):
    """The local broker could not be set up, started or stopped."""


def kafka_version(pom: Path = INFRA_DIR / "pom.xml") -> str:
    """The Kafka version pinned by the pom (the one source of truth for it)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text())
    if not match:
        raise KafkaError(f"no <kafka.version> in {pom}")
    return match.group(1)


def cache_dir() -> Path:
    xdg = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("BOTIFY_CACHE_DIR") or xdg / "botify") / "kafka"


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_jars(version: str | None = None) -> Path:
    """The folder holding the broker's jars, resolving them with Maven on first use."""
    version = version or kafka_version()
    libs = cache_dir() / version / "libs"
    with _file_lock(cache_dir() / f"{version}.lock"):
        if (libs / f"kafka_2.13-{version}.jar").is_file():
            return libs
        if shutil.which("mvn") is None:
            raise KafkaError("Maven (mvn) is needed once to fetch the Kafka jars from Maven Central; install it")
        log.warning("fetching the Apache Kafka %s jars from Maven Central into %s (once)", version, libs)
        staging = libs.with_name("libs.partial")
        shutil.rmtree(staging, ignore_errors=True)
        command = ["mvn", "-q", "-B", "-f", str(INFRA_DIR / "pom.xml"), "dependency:copy-dependencies",
                   "-DincludeScope=runtime", f"-Dkafka.version={version}", f"-DoutputDirectory={staging}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = result.stdout[-3000:] + result.stderr[-3000:]
            raise KafkaError(f"Maven could not resolve Kafka {version}:\n{output}")
        staging.rename(libs)
        return libs


@dataclass
class LocalKafka:
    """One broker in ``home``: ``start``, ``stop``, ``status``; ``port=0`` picks free ports on first start."""

    home: Path
    port: int = 9092
    controller_port: int = 0
    version: str = field(default_factory=kafka_version)
    jvm_opts: tuple[str, ...] = DEFAULT_JVM_OPTS
    start_timeout_s: float = 90.0

    def __post_init__(self) -> None:
        self.home = self.home.resolve()

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def _recorded(self) -> tuple[int, int] | None:
        """(PID, port) written by the last start, if any."""
        try:
            pid, port, *_ = (int(v) for v in self.pid_file.read_text().split())
        except (OSError, ValueError):
            return None
        return pid, port

    def pid(self) -> int | None:
        """The PID of this home's broker if it is running."""
        recorded = self._recorded()
        if recorded is None:
            return None
        pid = recorded[0]
        return pid if pid_alive(pid) and self._is_our_broker(pid) else None

    def _is_our_broker(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return b"kafka.Kafka" in cmdline and str(self.home / "server.properties").encode() in cmdline

    def status(self) -> dict[str, object]:
        pid = self.pid()
        recorded = self._recorded()
        port = recorded[1] if pid is not None and recorded else self.port
        return {"running": pid is not None and port_open(port), "pid": pid, "port": port, "home": str(self.home),
                "version": self.version}

    def _write_config(self, libs: Path) -> Path:
        if self.port == 0:
            self.port = free_port()
        if self.controller_port == 0:
            self.controller_port = free_port()
        for port in (self.port, self.controller_port):
            if port_open(port):
                raise KafkaError(f"port {port} on 127.0.0.1 is already taken; choose another with --port "
                                 "or BOTIFY_KAFKA_BOOTSTRAP_SERVERS")
        self.home.mkdir(parents=True, exist_ok=True)
        template = Template((INFRA_DIR / "server.properties").read_text())
        config = self.home / "server.properties"
        config.write_text(template.substitute(port=self.port, controller_port=self.controller_port,
                                              log_dirs=self.data_dir))
        return config

    def _java(self, libs: Path, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaError("Java 17+ is needed to run Kafka; `java` is not on PATH")
        return [java, *self.jvm_opts, f"-Dlog4j2.configurationFile={INFRA_DIR / 'log4j2.yaml'}",
                "-cp", f"{libs}/*", *args]

    def _format_once(self, libs: Path, config: Path) -> None:
        if (self.data_dir / "meta.properties").is_file():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # "--cluster-id=…" in one argument: a base64url id may start with "-" and pass for an option
        result = subprocess.run(self._java(libs, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",
                                           "--config", str(config)), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise KafkaError(f"formatting {self.data_dir} failed:\n{result.stdout}{result.stderr}")

    def start(self, *, supervised: bool = False) -> int:
        """Start the broker (format storage first if new) and return its PID once it is up.

        ``supervised``: the broker stops (SIGTERM) when this process ends, however it ends; for supervisors
        such as ``botify up``, not for ``botify kafka up``, whose broker outlives the command.
        """
        running = self.pid()
        if running is not None:
            raise KafkaError(f"a broker from {self.home} is already running as PID {running}")
        libs = ensure_jars(self.version)
        config = self._write_config(libs)
        self._format_once(libs, config)
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        process: subprocess.Popen[bytes] | None = None
        try:
            with signals_deferred(), self.log_file.open("ab") as log:  # no Ctrl-C between start and PID file
                process = subprocess.Popen(self._java(libs, "kafka.Kafka", str(config)), stdout=log,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           start_new_session=True,
                                           preexec_fn=die_with_parent() if supervised else None)
                self.pid_file.write_text(f"{process.pid} {self.port} {self.controller_port}\n")
            # a Ctrl-C held above is raised as the block ends: inside this try, so it cleans up too
            self._await_ready(process, offset)
        except BaseException:  # not up in time, or interrupted: leave nothing running
            with signals_deferred():  # a second Ctrl-C must not cut this clean-up short
                if process is not None and process.poll() is None:
                    terminate(process.pid)
                if process is not None:
                    self.pid_file.unlink(missing_ok=True)
            raise
        return process.pid

    def _await_ready(self, process: subprocess.Popen[bytes], log_offset: int) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        delay = 0.05
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise KafkaError(f"Kafka exited with code {process.returncode}; last log lines:\n{self.log_tail()}")
            with self.log_file.open("rb") as log:
                log.seek(log_offset)
                if READY_LINE.encode() in log.read() and port_open(self.port):
                    return
            time.sleep(delay)  # the broker announces readiness only in its log; poll it with a short backoff
            delay = min(delay * 1.5, 0.5)
        raise KafkaError(f"Kafka did not start within {self.start_timeout_s:.0f} s; last log lines:\n{self.log_tail()}")

    @classmethod
    def for_settings(cls, paths: PathSettings, kafka: KafkaSettings, port: int | None = None) -> LocalKafka:
        """The project's broker: storage under ``var/kafka``, on the port of the first bootstrap server."""
        first = kafka.bootstrap_servers.split(",")[0]
        return cls(paths.var_dir / "kafka", port=port or int(first.rsplit(":", 1)[1]))

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop this home's broker by its PID; return whether one was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        terminate(pid, timeout_s)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> bool:
        """Kill the broker at once (SIGKILL), as a crash would; its storage stays for the next start."""
        pid = self.pid()
        if pid is None:
            return False
        terminate(pid, timeout_s=0.0)
        self.pid_file.unlink(missing_ok=True)
        return True
