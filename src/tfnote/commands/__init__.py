"""Command groups of the CLI; see tfnote.cli."""
