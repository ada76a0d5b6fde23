"""coord's benchmark: ``python -m bench`` (see ``bench/README.md``).

Every figure is measured in a child process of its own (so peak memory is that task's),
side by side with its baselines in the same run, and reported as a ratio.
"""
