"""Data in and out: reading and validating datasets, building them, and street-network files.

Loaders return frames in EPSG:28992 with a report of what they dropped; nothing
here ranks or decides. ``paths`` says where the product keeps its files.
"""

from geo.data.build import build_default
from geo.data.files import Dataset, load_buurten, load_cbs_table, load_dataset, load_facilities, write_dataset
from geo.data.networks import build_network, find_network
from geo.data.overpass import download_network

__all__ = [
    "Dataset",
    "build_default",
    "build_network",
    "download_network",
    "find_network",
    "load_buurten",
    "load_cbs_table",
    "load_dataset",
    "load_facilities",
    "write_dataset",
]
