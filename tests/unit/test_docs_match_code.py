"""The documentation states what the code does: topics, keys, policies and settings."""

from __future__ import annotations

import re

from google.protobuf import json_format

from botify_core.codecs import codec_for
from botify_core.settings import REPO_ROOT
from botify_core.topics import SPECS, Topic

PAGE = (REPO_ROOT / "docs" / "events.md").read_text()


def test_events_page_lists_every_topic_with_its_key_value_and_policy() -> None:
    page = PAGE
    rows = {m.group(1): m.groups() for m in
            re.finditer(r"^\| `([a-z-]+)` \| ([^|]+) \| `(\w+)` \| (\w+)", page, re.MULTILINE)}
    assert set(rows) == {t.value for t in Topic}
    for topic, spec in SPECS.items():
        _, key, value, policy = rows[topic.value]
        assert key.strip() == spec.key, topic
        assert value == spec.value.DESCRIPTOR.name, topic
        assert policy == ("compact" if spec.compacted else "delete"), topic


def test_every_message_has_an_example_that_parses() -> None:
    examples = dict(re.findall(r"^### `(\w+)`\n```json\n(.*?)\n```", PAGE, re.MULTILINE | re.DOTALL))
    assert set(examples) == {spec.value.DESCRIPTOR.name for spec in SPECS.values()}
    for spec in SPECS.values():
        message = json_format.Parse(examples[spec.value.DESCRIPTOR.name], spec.value())
        codec = codec_for(spec.value)
        assert codec.decode(codec.encode(message)) == message
