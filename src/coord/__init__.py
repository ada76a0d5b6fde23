"""coord: an event-sourced care-coordination tracker for cancer provider networks."""

__version__ = "0.1.0"
