"""Data in and out: reading and validating datasets, building them, and street-network files.

Loaders return frames in EPSG:28992 with a report of what they dropped; nothing
here ranks or decides. ``paths`` says where the product keeps its files.
"""

from geo.data.build import build_dataset, build_default
from geo.data.fetch import fetch_dataset
from geo.data.files import Dataset, load_buurten, load_cbs_table, load_dataset, load_facilities, write_dataset
from geo.data.national import load_base_dataset, load_municipality, municipalities
from geo.data.networks import build_network, find_network
from geo.data.overpass import download_network

__all__ = [
    "Dataset",
    "build_dataset",
    "build_default",
    "build_network",
    "download_network",
    "fetch_dataset",
    "find_network",
    "load_base_dataset",
    "load_buurten",
    "load_cbs_table",
    "load_dataset",
    "load_facilities",
    "load_municipality",
    "municipalities",
    "write_dataset",
]
