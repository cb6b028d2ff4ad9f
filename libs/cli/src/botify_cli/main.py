"""``botify``: run Kafka, the services, demo data, replays and the lab from one command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from botify_core.settings import KafkaSettings, PathSettings

if TYPE_CHECKING:
    from botify_core.local_kafka import LocalKafka

app = typer.Typer(help="Botify: an event-streaming, real-time music recommender.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
kafka_app = typer.Typer(help="The local Apache Kafka broker and Botify's topics.", no_args_is_help=True)
ingest_app = typer.Typer(help="The ingest service.", no_args_is_help=True)
data_app = typer.Typer(help="The real datasets under BOTIFY_DATA_DIR.", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
app.add_typer(ingest_app, name="ingest")
api_app = typer.Typer(help="The gateway: recommendations, the Botify session API, trends, dashboard.",
                      no_args_is_help=True)
app.add_typer(api_app, name="api")
app.add_typer(data_app, name="data")
recommender_app = typer.Typer(help="The stream processor: trends, user state, transitions, online models.",
                              no_args_is_help=True)
app.add_typer(recommender_app, name="recommender")


def _lab() -> typer.Typer:
    from botify_lab.cli import app as lab_app

    return lab_app


app.add_typer(_lab(), name="lab")


def _audio() -> typer.Typer:
    from botify_audio.cli import app as audio_app

    return audio_app


app.add_typer(_audio(), name="audio")


def _broker(port: int | None = None) -> LocalKafka:
    from botify_core.local_kafka import LocalKafka

    return LocalKafka.for_settings(PathSettings(), KafkaSettings(), port)


@kafka_app.command("up")
def kafka_up(
    port: Annotated[int | None, typer.Option(help="broker port (default: from BOTIFY_KAFKA_BOOTSTRAP_SERVERS)")] = None,
) -> None:
    """Start the local broker in the background (storage under var/kafka); `botify kafka down` stops it."""
    from botify_core.local_kafka import KafkaError

    broker = _broker(port)
    try:
        pid = broker.start()
    except KafkaError as exc:
        raise typer.Exit(_fail(str(exc))) from exc
    typer.echo(f"Kafka {broker.version} up at {broker.bootstrap_servers} (PID {pid}, log {broker.log_file})")


@kafka_app.command("down")
def kafka_down() -> None:
    """Stop the local broker by its PID."""
    broker = _broker()
    typer.echo("Kafka stopped" if broker.stop() else "Kafka was not running")


@kafka_app.command("status")
def kafka_status() -> None:
    """Is the local broker running, on which port, with which PID."""
    status = _broker().status()
    typer.echo(json.dumps(status, indent=2))
    raise typer.Exit(0 if status["running"] else 1)


@kafka_app.command("init")
def kafka_init() -> None:
    """Create Botify's topics (idempotent: existing topics are left as they are)."""
    from botify_core.admin import ensure_topics

    for name, outcome in asyncio.run(ensure_topics(KafkaSettings())).items():
        typer.echo(f"{outcome:8} {name}")


@ingest_app.command("serve")
def ingest_serve() -> None:
    """Serve the ingest HTTP API (BOTIFY_INGEST_HOST / BOTIFY_INGEST_PORT)."""
    from botify_ingest.main import serve

    serve()


@recommender_app.command("worker")
def recommender_worker() -> None:
    """Run one stream-processor worker (BOTIFY_RECOMMENDER_*; give each worker its own WORKER_ID) until Ctrl-C."""
    from botify_recommender.app import main as worker

    worker()


@api_app.command("serve")
def api_serve() -> None:
    """Serve the gateway (BOTIFY_API_HOST / BOTIFY_API_PORT); it rebuilds its read model from the topics."""
    from botify_api.main import serve

    serve()


@app.command("demo-data")
def demo_data(
    out: Annotated[Path | None, typer.Option(help="folder (default var/demo)")] = None,
    artists: int = 40, users: int = 150, seed: int = 7,
    audio_seconds: Annotated[float, typer.Option(help="length of each synthesised clip")] = 5.0,
) -> None:
    """Generate the synthetic demo world: catalog, listeners with tastes, and audio whose sound follows the genre.

    An existing world in the folder is kept (only missing audio is rendered), so `make up` resumes.
    """
    from tqdm import tqdm

    from botify_datasets.synthetic import prepare_demo

    folder = out or PathSettings().var_dir / "demo"
    with tqdm(unit="track", desc="audio") as bar:
        world = prepare_demo(folder, n_artists=artists, n_users=users, seed=seed, audio_seconds=audio_seconds,
                             progress=bar.update)
    typer.echo(f"demo world in {folder}: {len(world.tracks)} tracks, {len(world.users)} listeners, audio in "
               f"{folder / 'audio'}")


@app.command()
def replay(
    source: Annotated[str, typer.Argument(help="synthetic | lastfm1k | hetrec")],
    rate: Annotated[float, typer.Option(help="listens per second; 0 = as fast as Kafka takes them")] = 100.0,
    limit: Annotated[int | None, typer.Option(help="stop after this many listens")] = None,
    via: Annotated[str, typer.Option(help="'kafka' to produce directly, or the ingest service's base URL")]
    = "kafka",
    seed: int = 0,
    hetrec_scale: Annotated[float, typer.Option(help="hetrec: share of the real play counts to expand")] = 0.005,
    live: Annotated[bool, typer.Option(help="synthetic: stamp listens with the wall clock")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Stream a dataset's listens into Kafka (catalog to `tracks` first) at a chosen rate."""
    from botify_ingest.replay import SOURCES, run_replay
    from botify_ingest.settings import IngestSettings

    if source not in SOURCES:
        raise typer.BadParameter(f"choose one of {', '.join(SOURCES)}", param_hint="SOURCE")
    token = IngestSettings().token  # the ingest service's BOTIFY_INGEST_TOKEN, sent when replaying through it
    try:
        sent = asyncio.run(run_replay(source, KafkaSettings(), PathSettings(), rate=rate, limit=limit, via=via,
                                      seed=seed, hetrec_scale=hetrec_scale, live=live, progress=progress,
                                      token=token.get_secret_value() if token else None))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    typer.echo(f"replayed {sent} listens from {source}")


@data_app.command("check")
def data_check() -> None:
    """Load every dataset with its schema and checksum checks, and say what is there."""
    from botify_datasets.inventory import check_all

    ok = True
    for key, outcome in check_all(PathSettings()).items():
        typer.echo(f"{key:18} {outcome}")
        ok &= outcome.startswith("ok")
    raise typer.Exit(0 if ok else 1)


@data_app.command("download")
def data_download(
    dataset: Annotated[str, typer.Argument(help="a dataset key, as `botify data check` lists")],
    to: Annotated[Path | None, typer.Option(help="data folder (default BOTIFY_DATA_DIR)")] = None,
) -> None:
    """Fetch a public dataset (needs internet) into the data folder, checking its checksums."""
    from botify_datasets.download import download

    for path in download(dataset, to or PathSettings().data_dir):
        typer.echo(path)


@app.command()
def up(
    rate: Annotated[float, typer.Option(help="demo listens per second")] = 20.0,
) -> None:
    """Run everything on this machine: Kafka, topics, demo data, the services and demo traffic; Ctrl-C stops it."""
    from botify_cli.stack import run_stack

    raise typer.Exit(run_stack(demo_rate=rate))


def _fail(message: str) -> int:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return 1


if __name__ == "__main__":
    app()
