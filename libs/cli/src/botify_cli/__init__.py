"""The ``botify`` command line: one sub-command per job, each delegating to the package that owns it."""
