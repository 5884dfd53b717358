"""``python -m matrixcore``: the command line, for when the ``matrixcore`` script is not on PATH."""

from ._cli import main

main(prog_name="matrixcore")
