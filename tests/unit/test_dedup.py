"""Deduplication by event id: resends within the horizon are dropped, the store stays bounded, and it survives a
restore from its changelog entries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from botify_core.codecs import codec_for
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.proto.botify.v1.stream_pb2 import StateEntry
from botify_recommender.catalog import Catalog
from botify_recommender.dedup import SeenIds
from botify_recommender.listens import ListenIntake, Raw


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 10_000)), max_size=200))
def test_each_id_is_admitted_once_within_the_horizon(events: list[tuple[int, int]]) -> None:
    seen = SeenIds(horizon_ms=1_000_000)
    admitted = [f"e{i}" for i, t in events if seen.admit(f"e{i}", t)]
    assert sorted(admitted) == sorted({f"e{i}" for i, _ in events})


def test_ids_are_forgotten_a_horizon_after_the_watermark_and_the_store_stays_bounded() -> None:
    seen = SeenIds(horizon_ms=1_000)
    for block in range(100):
        for i in range(10):
            assert seen.admit(f"b{block}-{i}", block * 1_000)
        seen.changes(watermark_ms=block * 1_000)
    assert len(seen) <= 30           # only the blocks of the last horizon remain
    assert not seen.admit("b99-0", 99_000)
    assert seen.admit("b0-0", 99_000)   # long past the horizon: a new event as far as we can tell


def test_the_store_restores_from_its_changelog_entries() -> None:
    seen = SeenIds(horizon_ms=10_000)
    entries: dict[str, StateEntry | None] = {}
    for flush in range(3):
        for i in range(5):
            seen.admit(f"f{flush}-{i}", 1_000 * flush)
        entries.update(seen.changes(watermark_ms=1_000 * flush))
    restored = SeenIds(horizon_ms=10_000)
    for key, entry in entries.items():
        assert entry is not None
        restored.restore(key, codec_for(StateEntry).decode(codec_for(StateEntry).encode(entry)))
    assert not any(restored.admit(f"f{f}-{i}", 3_000) for f in range(3) for i in range(5))
    assert restored.admit("new", 3_000)
    assert list(restored.changes(watermark_ms=3_000)) == ["4"]     # block numbers continue after the restored ones


def test_the_intake_drops_resends_and_dead_letters_bad_records() -> None:
    codec = codec_for(ListenEvent)
    intake = ListenIntake(Catalog(), dedup_horizon_ms=60_000)

    def raw(offset: int, event_id: str = "e1", track_duration_ms: int = 200) -> Raw:
        return Raw(b"u", codec.encode(ListenEvent(event_id=event_id, user_id="u", track_id="t", event_time_ms=5,
                                                  ms_played=300, track_duration_ms=track_duration_ms)), offset)

    batch = intake.take([raw(0), raw(1), raw(2, event_id="e2", track_duration_ms=0), raw(3, event_id=""),
                         Raw(b"u", None, 4)])
    assert [listen.event.event_id for listen in batch.listens] == ["e1"]
    assert batch.listens[0].ms_played == 200      # clamped to the duration
    assert batch.duplicates == 1
    assert [(d.offset, "track_duration_ms" in d.error or "event_id" in d.error or "no value" in d.error)
            for d in batch.dead] == [(2, True), (3, True), (4, True)]
