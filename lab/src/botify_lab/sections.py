"""The report's sections, in order: name -> runner. A new section is one module plus one line here."""

from __future__ import annotations

from botify_lab.report import SectionRunner

SECTIONS: dict[str, SectionRunner] = {}
