"""Pi Catalogue: a search-indexed image catalogue on Redis Stack.

The folders `schema/`, `capture/` and `webapp/` at the top of the repository are
installed as `picat.schema`, `picat.capture` and `picat.webapp`; this package holds
what binds them together: configuration, the embedded Redis server and the CLI.
"""

__version__ = "0.1.0"
