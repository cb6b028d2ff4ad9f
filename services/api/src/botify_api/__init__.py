"""Botify's gateway: recommendations blended from the read model of the compacted topics, the original Botify
session API, tracks, users and trends. See ``app.py`` for its extension points."""
