"""The history as a whole: export (JSON, CSV), import (JSON), retention cleanup.

`document.py` defines the exchanged format; `export.py` streams it; `importer.py` reads
it back in one transaction; `deletion.py` removes tasks with their events and files;
`cleanup.py` applies the retention setting (once, or as a periodic loop).
"""
