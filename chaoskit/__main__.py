"""``python -m chaoskit``: the same command line as the ``chaoskit`` script."""

from chaoskit.cli import main

main(prog_name="chaoskit")
