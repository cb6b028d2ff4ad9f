"""Botify's genre vocabulary, and the mapping from free-form tags (Last.fm, MTG-Jamendo, GTZAN) onto it.

Tags are normalised (lower case, no spaces, hyphens, ampersands or apostrophes) before lookup, so "Hip-Hop",
"hip hop" and "genre---hiphop" all land on ``hiphop``; tags that are not genres ("seen live", "80s", "british")
map to nothing.

>>> canonical_genre("Hip-Hop"), canonical_genre("genre---drumnbass"), canonical_genre("seen live")
('hiphop', 'electronic', None)
"""

from __future__ import annotations

import re

GENRES: tuple[str, ...] = (
    "rock", "alternative", "pop", "electronic", "dance", "hiphop", "rnb", "jazz", "blues", "classical",
    "metal", "punk", "folk", "country", "reggae", "ambient", "soundtrack", "experimental", "world",
)
UNKNOWN = "unknown"

_MEMBERS: dict[str, tuple[str, ...]] = {
    "rock": ("rock", "classicrock", "hardrock", "progressiverock", "progressive", "poprock", "softrock",
             "psychedelicrock", "psychedelic", "grunge", "rocknroll", "rockandroll", "instrumentalrock", "postrock",
             "stonerrock", "garagerock", "bluesrock", "jrock", "krautrock", "glamrock", "southernrock", "spacerock",
             "hard"),  # MTG-Jamendo's "hard": hard rock
    "alternative": ("alternative", "alternativerock", "indie", "indierock", "indiepop", "britpop", "shoegaze",
                    "dreampop", "lofi", "emo", "postpunk", "newwave", "gothic", "gothicrock", "darkwave"),
    "pop": ("pop", "synthpop", "electropop", "jpop", "kpop", "instrumentalpop", "dancepop", "teenpop", "europop",
            "popfolk"),
    "electronic": ("electronic", "electronica", "electro", "idm", "industrial", "ebm", "techno", "minimal",
                   "dubstep", "drumnbass", "drumandbass", "drumbass", "dnb", "breakbeat", "edm", "synthwave",
                   "chiptune"),
    "dance": ("dance", "house", "deephouse", "trance", "club", "eurodance", "disco", "progressivetrance",
              "electrohouse", "hardstyle", "groove"),
    "hiphop": ("hiphop", "rap", "urban", "grime", "trap", "gangstarap", "hiphoprap", "undergroundhiphop",
               "instrumentalhiphop", "alternativehiphop", "abstracthiphop"),
    "rnb": ("rnb", "randb", "rb", "soul", "funk", "motown", "neosoul", "contemporaryrnb"),
    "jazz": ("jazz", "acidjazz", "jazzfusion", "fusion", "swing", "smoothjazz", "bebop", "freejazz", "vocaljazz"),
    "blues": ("blues", "deltablues", "chicagoblues"),
    "classical": ("classical", "orchestral", "symphonic", "choir", "contemporary", "baroque", "opera", "medieval",
                  "neoclassical", "romantic classical", "composer", "chamber"),
    "metal": ("metal", "heavymetal", "thrashmetal", "deathmetal", "blackmetal", "metalcore", "deathcore",
              "progressivemetal", "numetal", "powermetal", "melodicdeathmetal", "gothicmetal", "symphonicmetal",
              "alternativemetal", "industrialmetal", "doommetal"),
    "punk": ("punk", "punkrock", "poppunk", "hardcore", "posthardcore", "screamo", "hardcorepunk", "skapunk"),
    "folk": ("folk", "singersongwriter", "acoustic", "celtic", "folkrock", "chanson", "indiefolk"),
    "country": ("country", "americana", "bluegrass", "altcountry"),
    "reggae": ("reggae", "dub", "ska", "dancehall", "roots reggae"),
    "ambient": ("ambient", "chillout", "chill", "downtempo", "newage", "darkambient", "atmospheric", "lounge",
                "triphop", "easylistening"),
    "soundtrack": ("soundtrack", "filmscore", "score", "gamemusic", "videogamemusic", "ost"),
    "experimental": ("experimental", "avantgarde", "noise", "improvisation"),
    "world": ("world", "ethno", "worldfusion", "latin", "mpb", "bossanova", "reggaeton", "flamenco", "tango",
              "salsa", "afrobeat", "worldmusic"),
}
_NORMALISE = re.compile(r"[\s\-&'_/.]+")


def normalise_tag(tag: str) -> str:
    return _NORMALISE.sub("", tag.strip().lower().removeprefix("genre---"))


TAG_TO_GENRE: dict[str, str] = {normalise_tag(tag): genre for genre, tags in _MEMBERS.items() for tag in tags}


def canonical_genre(tag: str) -> str | None:
    """The canonical genre of a free-form tag, or None when the tag is not a genre."""
    return TAG_TO_GENRE.get(normalise_tag(tag))
