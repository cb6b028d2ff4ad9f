"""``botify audio …``: train the genre CNN and run the worker. Heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The audio worker: embeddings and genre probabilities of every track.", no_args_is_help=True)


@app.command("train")
def train_command(
    data: Annotated[Path | None, typer.Option(help="labelled clips (default: BOTIFY_DATA_DIR/gtzan-mini-audio, "
                                                   "else the demo clips in var/demo)")] = None,
    epochs: Annotated[int, typer.Option(help="passes over the training clips")] = 30,
    seed: int = 0,
    val_fraction: Annotated[float, typer.Option(help="share of clips held out for the model card's metrics")]
    = 0.2,
    threads: Annotated[int, typer.Option(help="torch threads (2 on an idle machine)")] = 1,
) -> None:
    """Train the CNN on labelled clips; save it with its model card under var/models/audio/<version>/."""
    from botify_audio.settings import AudioSettings
    from botify_audio.training_run import default_data, train_and_save

    settings = AudioSettings()
    folder = data or default_data(settings)
    try:
        model = train_and_save(folder, settings, epochs=epochs, seed=seed, val_fraction=val_fraction,
                               threads=threads)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--data") from exc
    metrics = model.card.get("metrics")
    summary = (f"validation accuracy {metrics['accuracy']:.2f}, macro-F1 {metrics['macro_f1']:.2f}, "
               f"log-loss {metrics['log_loss']:.2f} on {metrics['n']} clips" if metrics else "no validation split")
    typer.echo(f"model {model.version} saved in {settings.model_root / model.version} ({summary})")


@app.command("worker")
def worker_command() -> None:
    """Run the worker: consume `tracks`, produce `track-embeddings` (settings: BOTIFY_AUDIO_*)."""
    from botify_audio.main import serve

    raise typer.Exit(serve())
