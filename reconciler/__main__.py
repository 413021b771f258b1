"""``python -m reconciler`` runs the ``eucora`` CLI."""

from reconciler.cli import main

main()
