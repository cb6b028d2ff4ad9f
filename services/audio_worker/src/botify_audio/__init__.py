"""Not built yet: the audio worker. See README.md beside this package."""
