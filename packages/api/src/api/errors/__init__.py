"""Problems that belong to one resource, one module per resource (``api.errors.orders``...).

The problems every workflow resource shares, and the machinery that renders them all as
problem+json, are in :mod:`api.problems`.
"""
