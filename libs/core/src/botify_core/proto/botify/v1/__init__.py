"""Generated protobuf modules (scripts/protogen.py); do not edit."""
