"""`botify lab export-listens` against the real broker: a consistent snapshot of `listens` joined to `tracks`,
bad messages counted, and the EDA running on the exported file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from botify_core.producer import EventProducer
from botify_core.proto.botify.v1.catalog_pb2 import TrackUpserted
from botify_core.proto.botify.v1.listen_pb2 import ListenEvent
from botify_core.settings import KafkaSettings
from botify_core.topics import Topic
from botify_datasets.listening_log import LOG_COLUMNS, ListeningLog
from botify_lab.cli import app
from botify_lab.export import ExportError, TopicSnapshot, export_listens
from botify_lab.genre_popularity import genre_by_period, genre_totals, top_tracks

pytestmark = pytest.mark.kafka

DAY = 86_400_000
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def listen(i: int, user: str, track: str, day: int, played: int, duration: int = 200_000) -> ListenEvent:
    return ListenEvent(event_id=f"e{i}", user_id=user, track_id=track, event_time_ms=T0 + day * DAY + i,
                       ms_played=played, track_duration_ms=duration)


CATALOG = [
    TrackUpserted(track_id="t1", title="Old title", artist_id="a1", artist_name="Ann", genres=["rock"],
                  duration_ms=200_000),
    TrackUpserted(track_id="t2", title="Blue", artist_id="a2", artist_name="Bo", genres=["jazz", "blues"],
                  duration_ms=300_000),
    # the catalog is compacted by track: the latest upsert of t1 wins
    TrackUpserted(track_id="t1", title="One", artist_id="a1", artist_name="Ann", genres=["metal"],
                  duration_ms=200_000),
]
LISTENS = [
    listen(0, "u1", "t1", 0, 200_000),
    listen(1, "u2", "t1", 0, 60_000),
    listen(2, "u1", "t2", 0, 300_000, 300_000),
    listen(3, "u2", "t2", 1, 150_000, 300_000),
    listen(4, "u3", "t1", 1, 120_000),
    listen(5, "u3", "t3", 1, 30_000, 100_000),  # t3 is not in the catalog
]


async def produce_world(settings: KafkaSettings) -> None:
    async with EventProducer(settings) as producer:
        await producer.send_many(Topic.TRACKS, [(t.track_id, t) for t in CATALOG])
        await producer.send_listens(LISTENS)
        await producer.client.send_and_wait(settings.topic(Topic.LISTENS), b"\xff\xfe not protobuf", key=b"u9")
        await producer.client.send_and_wait(settings.topic(Topic.TRACKS), b"\x08\x63", key=b"t9")  # version 99


async def test_export_joins_listens_to_the_latest_catalog_and_counts_bad_messages(
        topics: KafkaSettings, tmp_path: Path) -> None:
    await produce_world(topics)
    path = tmp_path / "listens.csv"

    summary = await export_listens(topics, path)

    assert (summary.listens, summary.tracks, summary.without_catalog) == (6, 2, 1)
    assert (summary.undecodable_listens, summary.undecodable_tracks) == (1, 1)
    assert any("schema_version 99" in e for e in summary.errors)
    frame = ListeningLog.load(path).frame
    assert list(frame.columns) == list(LOG_COLUMNS)
    assert frame["ts_ms"].tolist() == sorted(e.event_time_ms for e in LISTENS)
    by_event = frame.set_index(frame["ts_ms"] - T0)
    first = by_event.loc[0]
    assert (first["title"], first["genre"], first["artist_name"], first["duration_ms"]) == ("One", "metal", "Ann",
                                                                                           200_000)
    assert by_event.loc[DAY + 5, "genre"] == "unknown" and by_event.loc[DAY + 5, "title"] == ""
    assert by_event.loc[2, "genre"] == "jazz"  # the first (most specific) of the track's genres

    # the EDA runs unchanged on the export: t1 is metal (3 plays, 200k+60k+120k ms), t2 jazz, t3 unknown
    totals = genre_totals(frame)
    assert totals["plays"].to_dict() == {"metal": 3, "jazz": 2, "unknown": 1}
    assert totals.loc["metal", "minutes"] == pytest.approx(380_000 / 60_000)
    assert totals.loc["jazz", "minutes"] == pytest.approx(450_000 / 60_000)
    daily = genre_by_period(frame, "day")
    assert daily.groupby(daily["period"].astype(str))["plays"].sum().tolist() == [3, 3]
    top = top_tracks(frame, "day", 1)
    assert top.loc[top["genre"] == "metal", "title"].tolist() == ["One", "One"]


async def test_snapshot_stops_at_the_end_offsets_it_saw_when_opened(topics: KafkaSettings) -> None:
    await produce_world(topics)
    async with TopicSnapshot(topics, [Topic.LISTENS]) as snapshot:
        async with EventProducer(topics) as producer:  # written after the snapshot opened: not in it
            await producer.send_listens([listen(10 + i, "late", "t1", 2, 1_000) for i in range(5)])
        records = [r async for r in snapshot.records(Topic.LISTENS)]
    assert len(records) == len(LISTENS) + 1  # the six listens and the undecodable one
    assert b"late" not in {r.key for r in records}


async def test_export_of_a_missing_topic_says_which(kafka_settings: KafkaSettings, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"listens' does not exist"):
        await export_listens(kafka_settings, tmp_path / "x.csv")  # no `topics` fixture: nothing was created


async def test_cli_writes_the_same_file(topics: KafkaSettings, tmp_path: Path) -> None:
    await produce_world(topics)
    env = {"BOTIFY_KAFKA_BOOTSTRAP_SERVERS": topics.bootstrap_servers,
           "BOTIFY_KAFKA_TOPIC_PREFIX": topics.topic_prefix}
    # the command runs its own event loop, so it runs in a thread of its own
    result = await asyncio.to_thread(CliRunner().invoke, app, ["export-listens", "--out", str(tmp_path / "c.csv")],
                                     env=env)
    assert result.exit_code == 0, result.output
    assert "6 listens" in result.output and "1 in listens, 1 in tracks" in result.output
    direct = tmp_path / "d.csv"
    await export_listens(topics, direct)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "c.csv"), pd.read_csv(direct))
