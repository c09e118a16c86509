"""What the exports say about a ranking, without drawing or writing files.

- :mod:`geo.report.record`: the machine-readable method record (``.method.json``,
  GeoPackage metadata) and the ranking as CSV / zip bytes;
- :mod:`geo.report.method`: the method in plain words, the one text the app and the
  decision pack show;
- :mod:`geo.report.pack`: the content of the decision pack as one frozen
  :class:`~geo.report.pack.PackContent` (rendered to HTML by :mod:`layers.decision_pack`);
- :mod:`geo.report.school_card`: the gap card of one school as one frozen
  :class:`~geo.report.school_card.GapCard` (rendered by :mod:`layers.school_card`).

``geo.report`` imports from ``geo.decide``, never the other way round.
"""

from geo.report.method import MethodSection, method_sections
from geo.report.pack import PackContent, build_pack_content, map_title
from geo.report.record import (
    EXPORT_BASENAME,
    METHOD_FORMAT,
    METHOD_SIDECAR_SUFFIX,
    gpkg_metadata,
    method_json,
    method_record,
    ranking_csv_bytes,
    ranking_zip_bytes,
)
from geo.report.school_card import GapCard, gap_card

__all__ = [
    "EXPORT_BASENAME",
    "GapCard",
    "METHOD_FORMAT",
    "METHOD_SIDECAR_SUFFIX",
    "MethodSection",
    "PackContent",
    "build_pack_content",
    "gap_card",
    "gpkg_metadata",
    "map_title",
    "method_json",
    "method_record",
    "method_sections",
    "ranking_csv_bytes",
    "ranking_zip_bytes",
]
