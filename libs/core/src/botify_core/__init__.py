"""Botify's shared contracts: event schemas and codecs, topic names, settings, and Kafka plumbing.

Services never import one another; what two of them share lives here.
"""
