"""dsmrhub: read, store and serve DSMR smart meter telegrams."""

__version__ = "0.2.0.dev0"
