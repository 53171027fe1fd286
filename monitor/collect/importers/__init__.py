"""Other tools' exports as posts: snscrape's JSONL, and CSV files with a column mapping.

Both readers yield ``(line number, Post or problems)`` like ``postformat.read_posts``, so
``importer.import_posts`` stores them the same way: a bad record is a located problem and
is skipped, the rest of the file is still read.
"""

from monitor.collect.importers.csv_mapping import (
    FIELDS,
    REQUIRED,
    CsvMapping,
    load_mapping,
    read_csv,
)
from monitor.collect.importers.snscrape_jsonl import (
    MAPPERS,
    NOT_POSTS,
    Record,
    parse_snscrape_line,
    read_snscrape,
    value_column,
)

__all__ = [
    "FIELDS",
    "MAPPERS",
    "NOT_POSTS",
    "REQUIRED",
    "CsvMapping",
    "Record",
    "load_mapping",
    "parse_snscrape_line",
    "read_csv",
    "read_snscrape",
    "value_column",
]
