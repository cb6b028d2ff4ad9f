"""The synthetic demo world: a catalog whose audio sounds like its genre, and listeners with tastes.

It lets Botify run on a fresh machine with no downloads (`botify demo-data`, `make up`), and gives tests a world
whose ground truth is known: each user's taste over genres, each track's genre, tempo and timbre.

>>> world = make_world(n_artists=4, n_users=3, seed=1)
>>> len(world.users), world.tracks[0].genre in SYNTH_GENRES
(3, True)
>>> events = ListenSimulator(world, seed=1).take(5, start_ms=0)
>>> all(0 <= e.ms_played <= e.duration_ms for e in events)
True
"""

from __future__ import annotations

import csv
import heapq
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from botify_datasets.listening_log import LOG_COLUMNS, ListeningLog


@dataclass(frozen=True)
class GenreSound:
    """How a genre sounds in the synthesiser: tempo, timbre and rhythm."""

    tempo: tuple[int, int]       # beats per minute, drawn per track
    waveform: str                # sine, saw, square or triangle
    drive: float                 # distortion gain (0 = clean)
    drums: str                   # none, four, backbeat, double or swing
    beats_per_note: float
    octave: tuple[int, int]      # base pitch range, as semitones from A2 (110 Hz)
    noise: float = 0.0
    duration_s: tuple[float, float] = (150.0, 300.0)


SOUNDS: dict[str, GenreSound] = {
    "rock": GenreSound((105, 140), "square", 3.0, "backbeat", 1.0, (0, 12), 0.01, (170, 290)),
    "pop": GenreSound((96, 124), "triangle", 0.0, "four", 0.5, (12, 24), 0.0, (160, 240)),
    "electronic": GenreSound((120, 135), "saw", 0.5, "four", 0.25, (0, 12), 0.0, (200, 420)),
    "hiphop": GenreSound((80, 98), "sine", 0.8, "backbeat", 1.0, (-12, 0), 0.0, (170, 260)),
    "jazz": GenreSound((100, 150), "triangle", 0.0, "swing", 0.75, (5, 17), 0.0, (180, 420)),
    "classical": GenreSound((60, 90), "sine", 0.0, "none", 1.0, (12, 30), 0.0, (240, 720)),
    "metal": GenreSound((150, 200), "saw", 8.0, "double", 0.5, (-12, 0), 0.03, (200, 400)),
    "ambient": GenreSound((55, 75), "sine", 0.0, "none", 4.0, (0, 19), 0.02, (240, 600)),
}
SYNTH_GENRES: tuple[str, ...] = tuple(SOUNDS)
_WORDS_A = ("Silver", "Midnight", "Electric", "Golden", "Broken", "Velvet", "Neon", "Quiet", "Wild", "Distant",
            "Crystal", "Hollow", "Burning", "Frozen", "Lucky", "Paper", "Northern", "Sunday", "Lonely", "Cosmic")
_WORDS_B = ("River", "Echo", "Garden", "Signal", "Horizon", "Mirror", "Engine", "Harbor", "Shadow", "Orbit",
            "Lantern", "Canyon", "Circuit", "Meadow", "Tide", "Avenue", "Ember", "Atlas", "Comet", "Window")


@dataclass(frozen=True)
class SynthTrack:
    track_id: str
    title: str
    artist_id: str
    artist_name: str
    genre: str
    duration_ms: int
    tempo_bpm: float
    root_semitone: int
    popularity: float   # relative within the genre


@dataclass(frozen=True)
class SynthUser:
    user_id: str
    taste: dict[str, float]   # genre -> preference, sums to 1
    activity: float           # relative rate of listening


@dataclass(frozen=True)
class World:
    tracks: list[SynthTrack]
    users: list[SynthUser]
    seed: int
    by_genre: dict[str, list[SynthTrack]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        groups: dict[str, list[SynthTrack]] = {}
        for track in self.tracks:
            groups.setdefault(track.genre, []).append(track)
        object.__setattr__(self, "by_genre", groups)

    def user(self, user_id: str) -> SynthUser:
        for user in self.users:
            if user.user_id == user_id:
                return user
        raise KeyError(user_id)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame([asdict(t) for t in self.tracks]).to_csv(folder / "tracks.csv", index=False)
        with (folder / "users.jsonl").open("w") as handle:
            for user in self.users:
                handle.write(json.dumps(asdict(user)) + "\n")
        (folder / "world.json").write_text(json.dumps({"seed": self.seed, "tracks": len(self.tracks),
                                                       "users": len(self.users)}))

    @classmethod
    def load(cls, folder: Path) -> World:
        with (folder / "tracks.csv").open(newline="") as handle:
            tracks = [SynthTrack(r["track_id"], r["title"], r["artist_id"], r["artist_name"], r["genre"],
                                 int(r["duration_ms"]), float(r["tempo_bpm"]), int(r["root_semitone"]),
                                 float(r["popularity"])) for r in csv.DictReader(handle)]
        users = [SynthUser(**json.loads(line)) for line in (folder / "users.jsonl").read_text().splitlines()]
        return cls(tracks, users, json.loads((folder / "world.json").read_text())["seed"])


def _name(rng: np.random.Generator) -> str:
    return f"{_WORDS_A[rng.integers(len(_WORDS_A))]} {_WORDS_B[rng.integers(len(_WORDS_B))]}"


def make_world(n_artists: int = 40, n_users: int = 150, tracks_per_artist: tuple[int, int] = (3, 8),
               seed: int = 7) -> World:
    """A catalog of ``n_artists`` artists (one genre each) and ``n_users`` listeners with Dirichlet tastes."""
    rng = np.random.default_rng(seed)
    tracks = []
    for a in range(n_artists):
        genre = SYNTH_GENRES[a % len(SYNTH_GENRES)]
        sound = SOUNDS[genre]
        artist_name = f"The {_name(rng)}s"
        for t in range(int(rng.integers(tracks_per_artist[0], tracks_per_artist[1] + 1))):
            tracks.append(SynthTrack(
                track_id=f"syn-t{a:03d}{t:02d}", title=_name(rng), artist_id=f"syn-a{a:03d}",
                artist_name=artist_name, genre=genre,
                duration_ms=int(rng.uniform(*sound.duration_s) * 1000),
                tempo_bpm=float(rng.integers(sound.tempo[0], sound.tempo[1] + 1)),
                root_semitone=int(rng.integers(sound.octave[0], sound.octave[1] + 1)),
                popularity=float(min(rng.zipf(1.6), 200))))
    users = []
    for u in range(n_users):
        taste = rng.dirichlet(np.full(len(SYNTH_GENRES), 0.35))
        users.append(SynthUser(f"syn-u{u:04d}", {g: float(p) for g, p in zip(SYNTH_GENRES, taste, strict=True)},
                               float(rng.lognormal(0.0, 0.6))))
    return World(tracks, users, seed)


# --------------------------------------------------------------------------------------------------- audio

def _wave(kind: str, phase: np.ndarray) -> np.ndarray:
    frac = phase % 1.0
    if kind == "saw":
        return 2.0 * frac - 1.0
    if kind == "square":
        return np.where(frac < 0.5, 1.0, -1.0)
    if kind == "triangle":
        return 4.0 * np.abs(frac - 0.5) - 1.0
    return np.sin(2 * np.pi * phase)


def _hits(pattern: str, beats: int) -> dict[str, list[float]]:
    if pattern == "four":
        return {"kick": [float(b) for b in range(beats)], "hat": [b + 0.5 for b in range(beats)]}
    if pattern == "backbeat":
        return {"kick": [float(b) for b in range(0, beats, 2)], "snare": [float(b) for b in range(1, beats, 2)],
                "hat": [b / 2 for b in range(beats * 2)]}
    if pattern == "double":
        return {"kick": [b / 4 for b in range(beats * 4)], "snare": [float(b) for b in range(1, beats, 2)]}
    if pattern == "swing":
        return {"hat": [b + off for b in range(beats) for off in (0.0, 0.66)], "kick": [float(b) for b in
                                                                                    range(0, beats, 4)]}
    return {}


def render_audio(track: SynthTrack, seconds: float = 5.0, sample_rate: int = 16_000) -> np.ndarray:
    """A mono float32 clip in [-1, 1] whose tempo, timbre and rhythm follow the track's genre."""
    sound = SOUNDS[track.genre]
    rng = np.random.default_rng(int(track.track_id.encode().hex(), 16) % (2**32))
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    beat = 60.0 / track.tempo_bpm
    note_len = beat * sound.beats_per_note
    scale = np.array([0, 2, 4, 7, 9, 12, 14, 16])
    notes = rng.choice(scale, size=int(seconds / note_len) + 2)
    index = np.minimum((t / note_len).astype(int), len(notes) - 1)
    freq = 110.0 * 2 ** ((track.root_semitone + notes[index]) / 12)
    phase = np.cumsum(freq) / sample_rate
    within = (t % note_len) / note_len
    envelope = np.minimum(within * 20, 1.0) * np.exp(-2.5 * within)
    if sound.drums == "none":  # pads: slow swell instead of plucks
        envelope = np.sin(np.pi * within) ** 2
    voice = _wave(sound.waveform, phase) + 0.3 * _wave(sound.waveform, phase * 2.003)
    if sound.drive:
        voice = np.tanh(sound.drive * voice)
    signal = 0.5 * voice * envelope
    beats = int(seconds / beat) + 1
    for drum, positions in _hits(sound.drums, beats).items():
        length = int(0.12 * sample_rate)
        k = np.arange(length) / sample_rate
        if drum == "kick":
            hit = np.sin(2 * np.pi * np.cumsum(150 * np.exp(-k * 30) + 45) / sample_rate) * np.exp(-k * 25)
        elif drum == "snare":
            hit = rng.standard_normal(length) * np.exp(-k * 35) * 0.6
        else:
            hit = np.diff(rng.standard_normal(length + 1)) * np.exp(-k * 90) * 0.25
        for position in positions:
            start = int(position * beat * sample_rate)
            if start < n:
                end = min(n, start + length)
                signal[start:end] += hit[: end - start]
    signal += sound.noise * rng.standard_normal(n)
    peak = float(np.max(np.abs(signal))) or 1.0
    clip: np.ndarray = (0.8 * signal / peak).astype(np.float32)
    return clip


def write_audio(world: World, folder: Path, seconds: float = 5.0, sample_rate: int = 16_000,
                progress: Callable[[int], None] | None = None) -> dict[str, Path]:
    """Render every track to ``folder/<track_id>.flac`` (kept when already there); return the paths."""
    import soundfile  # imported here: only the demo-data command writes audio

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for track in world.tracks:
        path = folder / f"{track.track_id}.flac"
        if not path.exists():
            partial = path.with_suffix(".partial.flac")
            soundfile.write(partial, render_audio(track, seconds, sample_rate), sample_rate, subtype="PCM_16")
            partial.rename(path)
        paths[track.track_id] = path
        if progress:
            progress(1)
    return paths


def prepare_demo(folder: Path, *, n_artists: int = 40, n_users: int = 150, seed: int = 7,
                 audio_seconds: float = 5.0, progress: Callable[[int], None] | None = None) -> World:
    """The demo world in ``folder``: loaded if it is there, else made and saved; audio rendered where missing."""
    if (folder / "world.json").exists():
        world = World.load(folder)
    else:
        world = make_world(n_artists=n_artists, n_users=n_users, seed=seed)
        world.save(folder)
    write_audio(world, folder / "audio", seconds=audio_seconds, progress=progress)
    return world


# --------------------------------------------------------------------------------------------------- listens

SESSION_END_PROBABILITY = 0.08  # after each listen: sessions last 12.5 listens on average
TRACK_GAP_MS = 2_000            # between two listens of a session
SESSION_PAUSE_MS = 3_600_000    # mean pause between sessions (exponential)


@dataclass(frozen=True)
class SynthListen:
    user_id: str
    track_id: str
    ts_ms: int
    ms_played: int
    duration_ms: int
    session_id: str
    ends_session: bool = False


class ListenSimulator:
    """Listeners who follow their taste: each plays sessions of tracks, skipping what they like less.

    A user picks a genre by taste (70% of the time staying in the genre of the previous track), a track by
    popularity within it, and plays a fraction that grows with their taste for the genre; sessions end at random.
    """

    def __init__(self, world: World, seed: int = 0) -> None:
        self.world = world
        self.rng = np.random.default_rng(seed)
        self._genres = list(SYNTH_GENRES)
        self._taste = {u.user_id: np.array([u.taste[g] for g in self._genres]) for u in world.users}
        self._weights = {g: np.array([t.popularity for t in ts]) / sum(t.popularity for t in ts)
                         for g, ts in world.by_genre.items()}
        self._last_genre: dict[str, str] = {}
        self._session: dict[str, int] = {}  # user -> number of their current session

    def _pick(self, user: SynthUser) -> SynthTrack:
        last = self._last_genre.get(user.user_id)
        taste = self._taste[user.user_id]
        if last is not None and self.rng.random() < 0.7:
            genre = last
        else:
            available = np.array([g in self.world.by_genre for g in self._genres], dtype=float)
            p = taste * available
            genre = self._genres[int(self.rng.choice(len(p), p=p / p.sum()))]
        tracks = self.world.by_genre[genre]
        return tracks[int(self.rng.choice(len(tracks), p=self._weights[genre]))]

    def listen(self, user: SynthUser, ts_ms: int) -> SynthListen:
        track = self._pick(user)
        affinity = user.taste[track.genre] * len(self._genres)  # 1 = average taste
        skip = self.rng.random() < 0.6 / (1.0 + affinity)
        fraction = self.rng.uniform(0.02, 0.25) if skip else min(1.0, self.rng.uniform(0.7, 1.3))
        number = self._session.get(user.user_id, 0)
        ends_session = bool(self.rng.random() < SESSION_END_PROBABILITY)
        if ends_session:  # the next listen starts a new session, picked by taste alone
            self._session[user.user_id] = number + 1
            self._last_genre.pop(user.user_id, None)
        else:
            self._session[user.user_id] = number
            self._last_genre[user.user_id] = track.genre
        return SynthListen(user.user_id, track.track_id, ts_ms, int(track.duration_ms * fraction),
                           track.duration_ms, f"{user.user_id}-s{number}", ends_session)

    def stream(self, start_ms: int) -> Iterator[SynthListen]:
        """Listens in time order, forever: each user's next listen starts when the previous one ends, plus a
        pause between sessions."""
        queue = [(start_ms + int(self.rng.exponential(600_000 / u.activity)), i)
                 for i, u in enumerate(self.world.users)]
        heapq.heapify(queue)
        while True:
            ts, i = heapq.heappop(queue)
            user = self.world.users[i]
            event = self.listen(user, ts)
            pause = int(self.rng.exponential(SESSION_PAUSE_MS)) if event.ends_session else TRACK_GAP_MS
            heapq.heappush(queue, (ts + event.ms_played + pause, i))
            yield event

    def take(self, n: int, start_ms: int) -> list[SynthListen]:
        stream = self.stream(start_ms)
        return [next(stream) for _ in range(n)]


def synthetic_log(world: World, n: int, start_ms: int, seed: int = 0) -> ListeningLog:
    """``n`` simulated listens from ``start_ms`` as a listening log."""
    tracks = {t.track_id: t for t in world.tracks}
    rows = []
    for e in ListenSimulator(world, seed).take(n, start_ms):
        t = tracks[e.track_id]
        rows.append((e.user_id, t.track_id, t.title, t.artist_id, t.artist_name, t.genre, e.ts_ms, e.ms_played,
                     e.duration_ms))
    frame = pd.DataFrame(rows, columns=list(LOG_COLUMNS))
    return ListeningLog("synthetic", frame, dict.fromkeys(LOG_COLUMNS, "simulated (botify_datasets.synthetic)"))
