"""api: a FastAPI service that starts, queries, signals and awaits Temporal workflows.

``api.main:app`` is the ASGI application; ``api.main.create_app`` builds one with explicit settings
(tests use it). ``uv run --package api serve`` or ``python -m api`` runs it under uvicorn.
"""
