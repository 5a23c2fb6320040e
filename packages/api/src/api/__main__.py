"""``python -m api``: the same command as ``uv run --package api serve``."""

from api.cli import main

if __name__ == "__main__":
    main()
