"""Not built yet: the FastAPI gateway. See README.md beside this package."""
