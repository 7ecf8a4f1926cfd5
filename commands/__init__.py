"""Command-line command groups of ``records``, one module per group; ``cli.py`` assembles them."""
