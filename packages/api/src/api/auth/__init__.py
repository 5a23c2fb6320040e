"""Who is calling: bearer-token verification, the caller's identity and the scopes it holds.

``principal`` is the verified caller, ``scopes`` names every scope the API checks, ``verifier``
checks a JWT against the configured issuer, audience and keys, ``dev_keys`` makes the local
stack's signing key and tokens. Nothing here talks to Temporal.
"""
