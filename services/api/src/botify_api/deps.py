"""Dependencies of the routes, injected with ``Annotated[..., Depends(...)]``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from botify_api.gateway import Gateway


def gateway_of(request: Request) -> Gateway:
    """The app's gateway (:func:`botify_api.app.create_app` puts it in the app's state)."""
    gateway: Gateway = request.app.state.gateway
    return gateway


async def get_gateway(request: Request) -> Gateway:
    """``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop and a GIL handover on
    every request (a tenth of the gateway's time under load, and a source of stalls)."""
    return gateway_of(request)


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
