"""The ``seedstack`` command line. One module per command group, mounted in ``main.py``."""
