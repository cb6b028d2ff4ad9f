"""Recommenders, classical vs neural vs streaming, under one protocol (``botify lab eval``).

* :mod:`.data` turns HetRec play counts into a user x artist confidence matrix; :mod:`.splits` holds users' items
  out (fixed seeds); :mod:`.sessions` builds the time-based split of the Last.fm 1K sample.
* :mod:`.metrics` are pure ranking metrics; :mod:`.protocol` ranks every unseen item and scores the top 10.
* :mod:`.models` has one module per model behind one interface, and the registry; :mod:`.tuning` picks each
  model's hyper-parameters on a validation split; :mod:`.measure` fits the tuned model in a fresh process and
  measures quality, time and memory; :mod:`.source_lines` counts lines of code.
* :mod:`.evaluation` runs it all; :mod:`.section` writes the report page and ``results.json``;
  :mod:`.discussion` holds the prose on effort and scale.
"""
