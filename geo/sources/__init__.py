"""Data that comes over the network (OpenStreetMap via Overpass, …).

Only these modules open network connections; the rest of ``geo`` works on
files they leave on disk. Each source caches what it downloads, so a second
run (or a run without internet) reuses the file instead of downloading again.
"""
