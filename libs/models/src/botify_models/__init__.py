"""Botify's own online models, pure numpy: used by the stream processor and evaluated by the lab.

* :mod:`botify_models.streaming_mf`: implicit matrix factorisation that learns one listen at a time, split into a
  user-side step and an item-side update so each half can run where its state is keyed.
"""
