"""One module per recommender, all behind :class:`~botify_lab.recsys.models.base.Recommender`; the registry
(:mod:`.registry`) names them, their family, their tuning grids and how they update."""
