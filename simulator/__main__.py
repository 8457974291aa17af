"""`python -m simulator` is `erpsim`."""

from simulator.cli import main

main()
