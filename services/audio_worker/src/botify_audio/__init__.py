"""Botify's audio worker: decode new tracks, embed them with a CNN, estimate their genres (see README.md here)."""
