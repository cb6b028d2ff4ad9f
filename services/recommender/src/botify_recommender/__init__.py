"""Not built yet: the Faust stream processor. See README.md beside this package."""
