"""Build the search index: the same as `python -m bot build-index`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main(["build-index", *sys.argv[1:]]))
