"""Botify's own online models, pure numpy: used by the stream processor and evaluated by the lab."""
