"""``python -m hiprom``: the ``hiprom`` command, for when its script is not on PATH."""

from hiprom.cli.main import run

if __name__ == "__main__":
    run()
