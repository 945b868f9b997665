"""``python -m rankl_net`` runs the command line."""

from .cli import main

main()
