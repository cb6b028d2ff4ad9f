"""The gateway's own query parsing (:mod:`botify_api.query`): a model from the query string, every occurrence of a
list parameter, 422 errors located as FastAPI locates them, and OpenAPI parameters from the same model."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import QueryParams

from botify_api.query import parameters, parse
from botify_api.schemas import RecommendationsQuery


def test_a_query_becomes_the_model_with_every_occurrence_of_a_list_parameter() -> None:
    asked = parse(RecommendationsQuery, QueryParams("user_id=u1&k=7&exclude=a,b&exclude=c&unknown=1"))
    assert asked == RecommendationsQuery(user_id="u1", k=7, exclude=["a,b", "c"])
    assert parse(RecommendationsQuery, QueryParams("user_id=u1&user_id=u2")).user_id == "u2"   # the last, as FastAPI


@pytest.mark.parametrize(("query", "where", "problem"), [
    ("", ("query", "user_id"), "Field required"),
    ("user_id=", ("query", "user_id"), "at least 1 character"),
    ("user_id=u&k=0", ("query", "k"), "greater than or equal to 1"),
    ("user_id=u&k=ten", ("query", "k"), "valid integer"),
])
def test_a_bad_parameter_is_a_validation_error_naming_it(query: str, where: tuple[str, ...], problem: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        parse(RecommendationsQuery, QueryParams(query))
    (error,) = raised.value.errors()
    assert error["loc"] == where and problem in error["msg"]


def test_the_openapi_parameters_come_from_the_model() -> None:
    declared = {p["name"]: p for p in parameters(RecommendationsQuery)}
    assert list(declared) == ["user_id", "k", "context_track_id", "exclude", "genres"]
    assert declared["user_id"]["required"] and not declared["k"]["required"]
    assert declared["user_id"]["schema"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert declared["exclude"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert declared["genres"]["description"] == "only these genres (repeat or comma-separate)"
