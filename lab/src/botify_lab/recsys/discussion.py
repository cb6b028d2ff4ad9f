"""What the figures cannot say: the effort to build and keep each model, and how it would scale to millions of
users. Complexities are in users U, items I, interactions N, factors f, hidden width h."""

from __future__ import annotations

#: model -> (effort to build and maintain, how it would scale to millions of users)
NOTES: dict[str, tuple[str, str]] = {
    "MostPop": (
        "Trivial; nothing to tune or break. No personalisation.",
        "A counter per item, O(N) and updatable per event; the same list for everyone, so any scale."),
    "ItemKNN": (
        "Small and explainable ('because you listened to X'); two knobs (neighbours, shrink).",
        "Co-counts cost O(sum of squared user histories) and grow with I x neighbours in sparse storage; "
        "users only enter as rows to sum, so millions of users are a sparse matrix product (Spark, or "
        "batched). Refit nightly; counts could also be updated per event."),
    "RP3beta": (
        "As small as ItemKNN, two knobs (alpha, beta) that trade accuracy for novelty.",
        "Two sparse products, like ItemKNN; the dense I x I matrix kept here must become a top-k sparse one "
        "beyond ~50k items."),
    "EASE": (
        "A few lines of numpy and one knob; a strong baseline that is hard to beat and easy to keep.",
        "O(I^2) memory and O(I^3) time for one dense inverse, independent of U (users only enter X^T X, "
        "O(N x mean history)). 4.6k artists take seconds; 100k items need 40 GB in float32 and hours; "
        "a million items do not fit, so it needs pruning or a sparse approximation there. Millions of users "
        "are fine. No incremental update: a refit (or a new user's history times B at serving time)."),
    "ALS": (
        "A library call (implicit) plus the confidence scaling; four knobs; mature and widely deployed.",
        "Each iteration is O(N f + (U + I) f^2) with conjugate gradient, linear in interactions and parallel "
        "over users and items (Spark MLlib runs it on billions). A new user folds in with one small solve "
        "(implicit's partial_fit_users); items need a refit. Serving is a dot product, or an ANN index."),
    "BPR": (
        "A library call; sensitive to learning rate and epochs; sampling makes it noisy to tune.",
        "O(epochs x N x f) SGD, linear in interactions; multi-threaded (Hogwild) or sharded. Memory (U + I) f. "
        "Could continue SGD on new events but implicit has no per-event API."),
    "Reranker (EASE+RP3beta+ALS, GBDT)": (
        "The most work to keep: three base models, a feature pipeline, an inner split and a tree model, all "
        "of which must stay consistent between training and serving; the best quality here.",
        "Inherits EASE's O(I^2) memory plus U x candidates feature rows for the trees (parallel per user). "
        "At scale the base models become candidate generators (ANN over ALS vectors, item-item lists) and the "
        "trees a ranking service; serving latency is the sum of the three scorers and the trees."),
    "River FunkMF": (
        "A few lines around river; no implicit-feedback notion, so negatives are ours; learns one event at a "
        "time in pure Python.",
        "Per event O(f x (1 + negatives)); state is Python dicts in one process, so millions of users need the "
        "partitioning the project's own MF was designed for."),
    "Streaming MF (ours)": (
        "Numpy we own and test (the LOC column counts it); the split into a user step and an item update is "
        "what lets it run inside the stream processor.",
        "Per event O(f x (1 + negatives)); user vectors live in the user-keyed table and item vectors in the "
        "item-keyed one, so Kafka partitions scale both; memory (U + I) x (f + 1) x 8 bytes (10M users at f = "
        "32 is 2.6 GB, sharded). Hot items concentrate item updates on few partitions: micro-batch the deltas."),
    "Mult-VAE": (
        "Short PyTorch, but needs epochs, KL annealing and dropout tuned, and a GPU at scale.",
        "The input and output layers are I x h each (1M items x 600 x 2 x 4 B = 4.8 GB) and an epoch costs "
        "O(U x I x h) dense, so millions of items need sampled softmax or item sharding; millions of users are "
        "just more batches. New users fold in with one forward pass, without retraining."),
    "Two-tower": (
        "Short PyTorch; takes item features (here the artist's genre), so new items are not cold.",
        "The industry's answer at scale: train with in-batch or sampled negatives instead of this full softmax "
        "(O(batch x I x d) per step), serve with an ANN index over item vectors (Qdrant in this project). The "
        "user tower's input layer is I x d; a sequence or hashed input removes that."),
    "MostPop (time split)": (
        "Trivial.", "A counter per track, updated per event."),
    "Markov chain (time split)": (
        "A sparse count matrix; nothing to tune but the popularity fallback.",
        "Transition counts are at most I^2 but sparse in practice, updatable per event in the stream."),
    "SASRec (time split)": (
        "Short PyTorch; needs sequences (a real event log) and several knobs.",
        "O(L^2 d) attention per window plus the softmax over items (sampled at scale); a forward pass per request "
        "(milliseconds on CPU). The history needs no retraining: new plays are just a longer input."),
}
