"""The project's own error types.

Every error a user can cause (a wrong file, a bad column, a bad weight) is a
:class:`PlanningError`. The app and the CLI catch this root error, show its
message and stop that step; anything else is a bug and propagates.

Each subclass is also a :class:`ValueError` so callers that only know the
standard library still catch it.
"""

from __future__ import annotations


class PlanningError(ValueError):
    """Root of all errors caused by input the user can fix."""


class DataFileError(PlanningError):
    """A file is missing, empty, unreadable or in an unknown format."""


class CrsError(PlanningError):
    """A layer has no CRS, or a CRS that cannot be turned into EPSG:28992."""


class MissingColumnError(PlanningError):
    """A required column is absent from a table."""


class DuplicateCodeError(PlanningError):
    """An identifier that must be unique (e.g. a buurt code) occurs twice."""


class GeometryError(PlanningError):
    """Geometries are empty, of the wrong type or outside the expected area."""


class InvalidValueError(PlanningError):
    """A value in the data is outside its valid range (e.g. a negative capacity)."""


class ParameterError(PlanningError):
    """A weight, preset, indicator name or other parameter is not valid."""


class DownloadError(PlanningError):
    """A download failed: no connection, a timeout, an HTTP error or a response that is not the expected data."""


#: Exit codes of ``python -m geo``: done; bad input (one line on stderr); partly done (what is missing is printed).
EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
