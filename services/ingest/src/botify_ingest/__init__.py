"""Botify ingest: validates listen events over HTTP and produces them to Kafka; replays datasets into Kafka."""
