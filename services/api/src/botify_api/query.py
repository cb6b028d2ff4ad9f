"""Query strings read into a pydantic model by the route itself, the model also declaring the route's OpenAPI
parameters.

FastAPI's own parameter handling walks each declared parameter's annotation on every request; on the gateway's
busiest route (five parameters) that took 13% of the gateway's time under load, a third of what the recommendation
itself took. A model validated once per request by pydantic-core does the same checks for a fraction of it, and its
JSON schema gives the same documentation:

    class Ask(BaseModel):
        user_id: str = Field(min_length=1)
        tags: list[str] = []

    @router.get("/ask", openapi_extra={"parameters": parameters(Ask)})
    async def ask(request: Request) -> ...:
        ask = parse(Ask, request.query_params)      # 422 as for any invalid request, else the model

A ``list`` field takes every occurrence of its parameter (``?tags=a&tags=b``); any other takes the last one. Unknown
parameters are ignored. Both as FastAPI does.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

M = TypeVar("M", bound=BaseModel)


def parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The OpenAPI query parameters of ``model``'s fields: name, whether required, description and schema."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "description": field.get("description", ""),
             "schema": {key: value for key, value in field.items() if key not in ("title", "description")}}
            for name, field in schema["properties"].items()]


def parse(model: type[M], query: QueryParams) -> M:
    """``model`` from ``query``; a :class:`RequestValidationError` (the app's 422) naming each bad parameter."""
    lists = _list_fields(model)
    given: Mapping[str, Any] = {name: query.getlist(name) if name in lists else query[name]
                                for name in model.model_fields if name in query}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise RequestValidationError([error | {"loc": ("query", *error["loc"])}
                                      for error in exc.errors(include_url=False)]) from None


@functools.cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that take a list (``list[...]``, optional or not)."""
    def is_list(annotation: Any) -> bool:
        return typing.get_origin(annotation) is list or any(is_list(a) for a in typing.get_args(annotation))
    return frozenset(name for name, field in model.model_fields.items() if is_list(field.annotation))
