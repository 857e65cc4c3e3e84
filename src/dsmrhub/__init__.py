"""dsmrhub: read, store and serve DSMR smart meter telegrams."""

__version__ = "0.1.0"
