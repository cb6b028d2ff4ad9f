class DatasetError(Exception):
    """A dataset file is missing, corrupt, or not laid out as expected; the message says which and how to fix it."""
