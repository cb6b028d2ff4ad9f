"""The report's sections, in order: name -> runner. A new section is one module plus one line here."""

from __future__ import annotations

from botify_lab import clusters, eda, genre, prequential
from botify_lab.recsys import section as recommenders
from botify_lab.report import SectionRunner

SECTIONS: dict[str, SectionRunner] = {
    "eda": eda.run,
    "clusters": clusters.run,
    "recommenders": recommenders.run,
    "prequential": prequential.run,
    "genre": genre.run,
}
