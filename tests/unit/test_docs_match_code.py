"""The documentation states what the code does: topics, keys, policies and settings."""

from __future__ import annotations

import re

from botify_core.settings import REPO_ROOT
from botify_core.topics import SPECS, Topic


def test_events_page_lists_every_topic_with_its_key_value_and_policy() -> None:
    page = (REPO_ROOT / "docs" / "events.md").read_text()
    rows = {m.group(1): m.groups() for m in
            re.finditer(r"^\| `([a-z-]+)` \| ([^|]+) \| `(\w+)` \| (\w+)", page, re.MULTILINE)}
    assert set(rows) == {t.value for t in Topic}
    for topic, spec in SPECS.items():
        _, key, value, policy = rows[topic.value]
        assert key.strip() == spec.key, topic
        assert value == spec.value.DESCRIPTOR.name, topic
        assert policy == ("compact" if spec.compacted else "delete"), topic
