"""``GET /v1/users/{user_id}``: what the gateway knows of a user: history, top genres, cluster, experiment arm."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from botify_api.deps import GatewayDep
from botify_api.schemas import ListenOut, Problem, UserOut

router = APIRouter(tags=["users"])


@router.get("/v1/users/{user_id}", response_model=UserOut,
            responses={404: {"model": Problem, "description": "nothing known of this user yet"},
                       422: {"model": Problem, "description": "bad parameters"}})
async def get_user(gateway: GatewayDep,
                   user_id: Annotated[str, Path(min_length=1, max_length=200)]) -> UserOut:
    """The user's recent listens (newest first: those reported here, then ``user-state``'s), top genres by decayed
    affinity, taste cluster and experiment arm."""
    state = gateway.read_model.users.get(user_id)
    reported = gateway.sessions.recent(user_id)
    if state is None and not reported:
        raise HTTPException(404, f"no listens or state known for user {user_id!r}")
    history = [ListenOut(track_id=t, fraction=f, event_time_ms=0) for t, f in reported]
    if state is not None:
        history += [ListenOut(track_id=r.track_id, fraction=r.fraction, event_time_ms=r.event_time_ms)
                    for r in state.recent]
    genres = sorted(state.genre_affinity.items(), key=lambda i: (-i[1], i[0])) if state is not None else []
    arm = gateway.experiment.assign(user_id)
    return UserOut(user_id=user_id, history=history, top_genres=[(g, float(a)) for g, a in genres[:10]],
                   cluster_id=state.cluster_id if state is not None else -1,
                   listens=state.listens if state is not None else len(reported),
                   skip_rate=state.skip_rate if state is not None else 0.0,
                   model_version=state.model_version if state is not None else "",
                   experiment=gateway.experiment.name, arm=arm.name)
