"""Botify lab: answers the research questions behind Botify on real data, as reports with plots and tables.

``botify lab report`` regenerates everything into ``docs/lab/``; ``--fast`` runs the same code on a subsample.
"""
