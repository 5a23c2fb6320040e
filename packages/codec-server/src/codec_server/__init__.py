"""Temporal's remote codec endpoints (``/encode``, ``/decode``) over the payload codec."""
