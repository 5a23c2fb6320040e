"""``python -m codec_server``: the same commands as ``codec-server``."""

from codec_server.cli import main

if __name__ == "__main__":
    main()
