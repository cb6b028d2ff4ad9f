"""How much a listen says about a user's taste: a signed weight per kind of event, from the settings.

A skip (``kind=SKIP``, or a play below ``skip_fraction`` of the track) is negative feedback; a play from
``complete_fraction`` on, or a like, is positive; a play in between is mildly positive; a dislike is strongly
negative.

>>> from botify_recommender.settings import RecommenderSettings
>>> rules = FeedbackRules.from_settings(RecommenderSettings())
>>> rules.weight(ListenKind.LISTEN_KIND_PLAY, 0.95), rules.weight(ListenKind.LISTEN_KIND_PLAY, 0.1)
(1.0, -0.5)
>>> rules.is_skip(ListenKind.LISTEN_KIND_SKIP, 0.9), rules.is_skip(ListenKind.LISTEN_KIND_LIKE, 0.1)
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botify_core.proto.botify.v1.listen_pb2 import ListenKind

if TYPE_CHECKING:
    from botify_recommender.settings import RecommenderSettings


# plain ints: reading protobuf enum attributes costs a dictionary lookup through a wrapper, per event
_SKIP, _LIKE, _DISLIKE = ListenKind.LISTEN_KIND_SKIP, ListenKind.LISTEN_KIND_LIKE, ListenKind.LISTEN_KIND_DISLIKE
_PLAYS = (ListenKind.LISTEN_KIND_PLAY, ListenKind.LISTEN_KIND_UNSPECIFIED)


@dataclass(frozen=True, slots=True)
class FeedbackRules:
    skip_fraction: float = 0.3
    complete_fraction: float = 0.8
    complete: float = 1.0
    partial: float = 0.3
    skip: float = -0.5
    like: float = 2.0
    dislike: float = -2.0

    @classmethod
    def from_settings(cls, s: RecommenderSettings) -> FeedbackRules:
        return cls(s.skip_fraction, s.complete_fraction, s.weight_complete, s.weight_partial, s.weight_skip,
                   s.weight_like, s.weight_dislike)

    def is_skip(self, kind: int, fraction: float) -> bool:
        return kind == _SKIP or (kind in _PLAYS and fraction < self.skip_fraction)

    def weight(self, kind: int, fraction: float) -> float:
        if kind == _LIKE:
            return self.like
        if kind == _DISLIKE:
            return self.dislike
        if self.is_skip(kind, fraction):
            return self.skip
        return self.complete if fraction >= self.complete_fraction else self.partial
