"""The synthetic demo world: reproducible, listeners follow their tastes, and audio follows the genre."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import soundfile

from botify_datasets.events import SKIP_FRACTION, synth_event, world_catalog
from botify_datasets.synthetic import (
    SYNTH_GENRES,
    TRACK_GAP_MS,
    ListenSimulator,
    SynthListen,
    World,
    make_world,
    prepare_demo,
    render_audio,
)


def test_the_same_seed_makes_the_same_world_and_listens() -> None:
    a, b = make_world(n_artists=8, n_users=5, seed=3), make_world(n_artists=8, n_users=5, seed=3)
    assert a.tracks == b.tracks and a.users == b.users
    assert ListenSimulator(a, seed=1).take(50, 0) == ListenSimulator(b, seed=1).take(50, 0)
    assert make_world(n_artists=8, n_users=5, seed=4).tracks != a.tracks


def test_listeners_play_their_favourite_genres_most_and_skip_them_least() -> None:
    world = make_world(n_artists=24, n_users=40, seed=5)
    listens = ListenSimulator(world, seed=2).take(20_000, 0)
    genre = {t.track_id: t.genre for t in world.tracks}
    by_user: dict[str, Counter[str]] = {}
    for listen in listens:
        by_user.setdefault(listen.user_id, Counter())[genre[listen.track_id]] += 1
    hits = 0
    for user in world.users:
        favourite = max(user.taste, key=lambda g: user.taste[g])
        hits += by_user[user.user_id].most_common(1)[0][0] == favourite
    assert hits >= 0.8 * len(world.users)

    def skip_rate(liked: bool) -> float:
        picked = [e for e in listens
                  if (world.user(e.user_id).taste[genre[e.track_id]] > 1 / len(SYNTH_GENRES)) == liked]
        return float(np.mean([e.ms_played < SKIP_FRACTION * e.duration_ms for e in picked]))

    assert skip_rate(liked=True) < skip_rate(liked=False)


def test_listens_are_in_time_order_and_within_their_track() -> None:
    world = make_world(n_artists=8, n_users=10, seed=1)
    listens = ListenSimulator(world, seed=0).take(2_000, 1_000_000)
    assert [e.ts_ms for e in listens] == sorted(e.ts_ms for e in listens)
    assert all(0 < e.ms_played <= e.duration_ms for e in listens)
    events = [synth_event(e, i, "run") for i, e in enumerate(listens)]
    assert len({e.event_id for e in events}) == len(events)


def _centroid(track_genre: str, world: World) -> float:
    clip = render_audio(next(t for t in world.tracks if t.genre == track_genre))
    spectrum = np.abs(np.fft.rfft(clip))
    freqs = np.fft.rfftfreq(len(clip), 1 / 16_000)
    return float((spectrum * freqs).sum() / spectrum.sum())


def test_audio_timbre_depends_on_the_genre() -> None:
    world = make_world(n_artists=16, n_users=1, seed=2)
    assert _centroid("metal", world) > 1.5 * _centroid("classical", world)
    assert _centroid("rock", world) > _centroid("ambient", world)


def test_demo_data_writes_decodable_flac_and_resumes(tmp_path: Path) -> None:
    world = prepare_demo(tmp_path, n_artists=3, n_users=4, seed=9, audio_seconds=1.0)
    catalog = world_catalog(world, tmp_path / "audio")
    assert len(catalog) == len(world.tracks)
    for track in catalog:
        assert track.audio_uri.startswith("file://")
        audio, rate = soundfile.read(track.audio_uri.removeprefix("file://"))
        assert rate == 16_000 and len(audio) == 16_000
        assert np.abs(audio).max() <= 1.0
    first = (tmp_path / "audio" / f"{world.tracks[0].track_id}.flac").stat().st_mtime_ns
    again = prepare_demo(tmp_path, n_artists=99, n_users=99, seed=0)  # an existing world is kept as it is
    assert again.tracks == world.tracks
    assert (tmp_path / "audio" / f"{world.tracks[0].track_id}.flac").stat().st_mtime_ns == first


def test_sessions_are_separated_by_pauses() -> None:
    world = make_world(n_artists=8, n_users=20, seed=4)
    listens = ListenSimulator(world, seed=3).take(5_000, 0)
    last: dict[str, SynthListen] = {}
    within, between = [], []
    for listen in listens:
        previous = last.get(listen.user_id)
        if previous is not None:
            gap = listen.ts_ms - previous.ts_ms - previous.ms_played
            if previous.session_id == listen.session_id:
                within.append(gap)
            else:
                assert previous.ends_session
                between.append(gap)
        last[listen.user_id] = listen
    assert set(within) == {TRACK_GAP_MS}
    assert len(between) > 100
    assert float(np.median(between)) > 10 * 60_000  # a session break is minutes to hours, not seconds
    sessions = {(listen.user_id, listen.session_id) for listen in listens}
    assert 8 < len(listens) / len(sessions) < 20  # about 1 / SESSION_END_PROBABILITY listens per session
