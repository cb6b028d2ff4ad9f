"""What each real dataset holds: folder, files with their size and sha256, origin and download location.

The checksums are those published in ``../shared/data/*/README.md``; a loader refuses a file that does not match
(set ``BOTIFY_VERIFY_CHECKSUMS=false`` to read a different version on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileSpec:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    folder: str
    title: str
    license: str
    files: tuple[FileSpec, ...]
    urls: dict[str, str] = field(default_factory=dict)  # file name or archive -> where users with internet get it

    def file(self, name: str) -> FileSpec:
        for spec in self.files:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.key} has no file {name!r}")


_GH = "https://raw.githubusercontent.com"

HETREC = DatasetSpec(
    "hetrec", "hetrec2011-lastfm-2k", "Last.fm HetRec 2011 (1,892 users x 17,632 artists)", "non-commercial",
    (
        FileSpec("artists.dat", 1925879, "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648"),
        FileSpec("tags.dat", 222521, "c815d7216101fd0ba9b9c59fa2a011998d2fd076e0064d281ec4153d95ae8095"),
        FileSpec("user_artists.dat", 1203620, "254272fa721c3935e8be286d28c051b206844307128698ab4eaa41d483379416"),
        FileSpec("user_friends.dat", 226130, "0360883a3557776e04fdebda851f2e5dd23e796cad7059b968acdebd528d13fa"),
        FileSpec("user_taggedartists.dat", 4180216,
                 "c4a9ffae9ab47a9f9b2f0678ab1f7e5c1db4ca818837d8cddd1f5699c5bbf048"),
    ),
    {"hetrec2011-lastfm-2k.zip": "https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip"},
)

LASTFM_1K = DatasetSpec(
    "lastfm1k", "lastfm-1k-sample", "Last.fm 1K users: first 5,000 scrobbles and the user profiles",
    "non-commercial",
    (
        FileSpec("userid-profile.tsv", 37842, "b1a739ee14c1974d54a9073a1a37955bcfc9be31f29063ad8303de5c40d58fa3"),
        FileSpec("userid-timestamp-artid-artname-traid-traname.head5000.tsv", 626954,
                 "f8621569c658db3cc092899767fe70e08d578f5eafa40428dd14d74e5cfe006b"),
    ),
    {"lastfm-dataset-1K.tar.gz": "http://mtg.upf.edu/static/datasets/last.fm/lastfm-dataset-1K.tar.gz"},
)

_THIRTY_MUSIC_BASE = (f"{_GH}/x775/skips-recommender/6ef3ee448895e5b05111deb9a01c455a12e299cc/solutions/ThirtyMusic/"
                      "data")
_THIRTY_MUSIC_FILES = (
    ("30music-200ks_test.0.txt", 920789, "96391d05f6649e75abb369811e6faf540c47c71e18782505e6ca274eb78dc46a"),
    ("30music-200ks_test.1.txt", 815357, "661e834fce99f415e95a9624bc69707d40d68ad2eddd3abec4f1434207a57c37"),
    ("30music-200ks_test.2.txt", 823235, "113a942f101186ac7e9a6f58f987814d58de911e33859cd16877d232c4a650c2"),
    ("30music-200ks_test.3.txt", 883738, "cb84d849c144660abe1e86fae3f9c790160ad023de78338cdbcceeed756c715e"),
    ("30music-200ks_test.4.txt", 1272773, "30453caca01c461f5471f4ec456c95abf6b85deb86134519b1bafe5e10fc0052"),
)
THIRTY_MUSIC = DatasetSpec(
    "30music", "30music-sessions", "30Music sessions: five 5-day windows of real per-play listening (2014)",
    "research, non-commercial (Last.fm API terms)",
    tuple(FileSpec(*row) for row in _THIRTY_MUSIC_FILES),
    {name: f"{_THIRTY_MUSIC_BASE}/{name}" for name, _, _ in _THIRTY_MUSIC_FILES},
)

_JAMENDO_BASE = f"{_GH}/MTG/mtg-jamendo-dataset/1b4fa8c32e076c73b5175c1703ae805b4109309d/data/splits/split-0"
JAMENDO = DatasetSpec(
    "jamendo", "mtg-jamendo-genre", "MTG-Jamendo genre subset (55,094 tracks with genres and durations)",
    "CC BY-NC-SA 4.0 (metadata)",
    (
        FileSpec("autotagging_genre-train.tsv", 3352194,
                 "c1cddb195ef94a07e67e227bf38e2a79389c1820950702b8c8894a2096f21e54"),
        FileSpec("autotagging_genre-validation.tsv", 1149174,
                 "3e203b4c573db6ec63a06c7066cf678dcf673a68ad5694c8fed22637c270dbcf"),
        FileSpec("autotagging_genre-test.tsv", 1178477,
                 "cf917388eebfa7d17d363c2fca037e2379ac027e31aa6dbe92e8dbf409ac5098"),
    ),
    {f"autotagging_genre-{split}.tsv": f"{_JAMENDO_BASE}/autotagging_genre-{split}.tsv"
     for split in ("train", "validation", "test")},
)

GTZAN_FEATURES = DatasetSpec(
    "gtzan-features", "gtzan-features", "GTZAN: 57 librosa features of 1,000 30-s clips, 10 genres",
    "research use (none stated)",
    (FileSpec("features_30_sec.csv", 1107270, "e5fe20f4e2f61d1aa3e07b17ffdea6b565970b3a1811746bd31f182a401fc3bc"),),
    {"features_30_sec.csv":
     f"{_GH}/Sudals/DS_Music/779d19c9c507d3b477debdb7105cfa32c5f72edc/Data/features_30_sec.csv"},
)

GTZAN_AUDIO = DatasetSpec(
    "gtzan-audio", "gtzan-mini-audio", "GTZAN mini: 100 30-s clips (10 per genre) as FLAC",
    "research use (none stated)",
    # manifest.csv lists each clip's sha256, and the loader checks every clip against it; the manifest itself is
    # not pinned, because a downloaded copy re-encodes the WAVs to FLAC with the local libsndfile
    (),
    {"genres/": f"{_GH}/TempoBeatDownbeat/gtzan_mini/a61439e86c13037011fde8e0f0743ec55c50bce3/genres"},
)

_LIBROSA_BASE = f"{_GH}/librosa/data/450cdd8a002c98e7bdbfebb309fc1ed024001f77/audio"
_LIBROSA_FILES = (
    ("147793__setuniman__sweet-waltz-0i-22mi.ogg", 228926,
     "4baff8ebf1771c33618b58aa12ac3fbac1e0462894ae74247f2fb8e649d1c63b"),
    ("442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime.ogg", 347949,
     "9617c9be55c128177b13c20fbc52178ed482e3545094517efb30a7db2798991e"),
    ("Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg", 242853,
     "919b48aa4cc66a0357d2cd5728664c5ab8f15c4b3469460df4b59470d35d3e49"),
    ("Karissa_Hobbs_-_Lets_Go_Fishin.ogg", 734402, "27b3667c396c1831511aa3c415fcf582b6e8be560cafb844c5b67b76b72c1cb3"),
    ("Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.ogg", 597254,
     "b5c1a3e26310e6618d3c124f458654cd235650fcb9db7d711302644566600484"),
    ("Kevin_MacLeod_-_Vibe_Ace.ogg", 380332, "6c23aed3dd5aa57f2b1652ecab68d15d9b82ad257f54e639eb2880ca09bc118a"),
    ("admiralbob77_-_Choice_-_Drum-bass.ogg", 137526,
     "ac644f9645e7c15174e4a4f8561e4d1448d7f6e59ff6b0556b310ebbced879bc"),
    ("sorohanro_-_solo-trumpet-06.ogg", 27019, "8374466fd3951d24509da6e799b132a0db0bdeda69d99c69d989a6888d3d727d"),
    # the attribution file beside each recording (its license asks for it)
    ("147793__setuniman__sweet-waltz-0i-22mi.txt", 185,
     "6e6e9265ae9a9a36033ce305a893abdc15f43bb5a41ec29efba368ad91905f43"),
    ("442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime.txt", 174,
     "99f9c44368918572ac154ae4a2fec4020d1d4bb418ae7bf241864916d68f9d04"),
    ("Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).txt", 265,
     "0c857ef8a7365e3df9d5c25c2b08ec3169c0585e3ec08c9c6423d2a04d72fe5f"),
    ("Karissa_Hobbs_-_Lets_Go_Fishin.txt", 254, "199bf3408b98916cd9d28a22b2b43c1935ab70072b46fa05c0b9f40e7882802e"),
    ("Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.txt", 302,
     "059acb340170385d2bfa4c7ab7c2a06b1d8f8af3e0f11cb4f46ff4049e950915"),
    ("Kevin_MacLeod_-_Vibe_Ace.txt", 235, "6c71e0525cb0452ea74c6d6f5fde6fa1e221223db7b2aa35b9914b98367ee7b9"),
    ("admiralbob77_-_Choice_-_Drum-bass.txt", 338, "76525d6a4fd135053c5ff7463ae43a8ffcf064b575e8ef2fc3eb37786a45342b"),
    ("sorohanro_-_solo-trumpet-06.txt", 310, "750a191b9d0cc94b2f19cfbf11acc13783f75bedcccfcf562f5b076efd068aba"),
)
LIBROSA_EXAMPLES = DatasetSpec(
    "librosa-examples", "librosa-example-audio", "8 CC / public-domain music recordings used by librosa.example()",
    "CC-BY / CC BY-NC / public domain, per file",
    tuple(FileSpec(*row) for row in _LIBROSA_FILES),
    {name: f"{_LIBROSA_BASE}/{name}" for name, _, _ in _LIBROSA_FILES},
)

DATASETS: dict[str, DatasetSpec] = {d.key: d for d in (HETREC, LASTFM_1K, JAMENDO, GTZAN_FEATURES, GTZAN_AUDIO,
                                                      LIBROSA_EXAMPLES, THIRTY_MUSIC)}
