"""Botify's datasets: loaders for the real sets under ``BOTIFY_DATA_DIR``, listening-log builders, the genre
vocabulary, downloaders, and the synthetic demo catalog. Shared by the ingest service (replay) and the lab."""
