"""The ``coord`` command line."""
