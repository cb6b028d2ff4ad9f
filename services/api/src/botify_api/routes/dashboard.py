"""``GET /``: the dashboard page (live trend charts from ``/v1/trends/stream``, a box to ask for recommendations),
and its script and style under ``/static``. Plain HTML, JavaScript and SVG shipped with the package: the page fetches
nothing from anywhere but this gateway."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["dashboard"])


@router.get("/", response_class=HTMLResponse)
async def dashboard() -> HTMLResponse:
    """The dashboard: genre popularity by plays and by minutes for a chosen window, top tracks per genre, updated
    live; recommendations for a user with their reasons. Query ``window`` (e.g. 1h) and ``user`` preselect them."""
    return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


def mount_static(app: FastAPI) -> None:
    """Serve the page's script and style under ``/static`` (not in the OpenAPI document: files, not an API)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
