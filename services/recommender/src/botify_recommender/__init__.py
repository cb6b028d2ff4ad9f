"""The stream processor: a Faust app hosting a transactional engine (see README.md beside this package)."""
