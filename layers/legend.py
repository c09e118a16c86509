"""A small HTML legend drawn as a Leaflet control in a corner of the map.

The legend is a Leaflet control created in the map's script rather than a
``<div>`` in the page body, so that it stays inside the map when the map is
embedded (streamlit-folium renders the map's scripts, not arbitrary page HTML).
All text is HTML-escaped here; the HTML then reaches JavaScript through
``tojson``, so it cannot break out of the script either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from branca.element import MacroElement
from jinja2 import Template

POSITIONS = ("topleft", "topright", "bottomleft", "bottomright")

_BOX_STYLE = (
    "background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px; "
    "box-shadow: 0 0 4px rgba(0,0,0,0.3); font: 12px/1.35 Arial, Helvetica, sans-serif; "
    "color: #222; max-width: 260px;"
)


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend: a swatch and a text (plain text, escaped when rendered)."""

    label: str
    color: str
    #: Number of map features in this row; shown as "(n)" when not ``None``.
    count: int | None = None
    #: ``"box"`` for an area fill, ``"circle"`` for a point marker.
    shape: str = "box"
    #: Outline of the swatch in CSS (e.g. ``"1px dashed #222"``).
    border: str = "1px solid #666"


class Legend(MacroElement):
    """A titled list of swatches, added to a :class:`folium.Map` with ``add_to``.

    Parameters
    ----------
    title
        Heading of the legend (plain text).
    entries
        The rows, top to bottom.
    note
        An optional line of small print under the rows (plain text).
    position
        Map corner: ``"bottomright"`` (default), ``"bottomleft"``, ``"topleft"``, ``"topright"``.
    layer
        A layer the legend belongs to: the legend hides while that layer is
        switched off in the layer control (and starts hidden if the layer does).
    slot
        For a legend added to a feature group that the app swaps on a drawn map (streamlit-folium's
        ``feature_group``) rather than to the map: it draws itself on the group's map and takes the place of the
        legend drawn before it in the same slot, so a new ranking replaces the legend instead of adding one.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- if this.slot %}
        var {{ this.get_name() }}_map = {{ this._parent._parent.get_name() }};
        {{ this.get_name() }}_map._rspLegends = {{ this.get_name() }}_map._rspLegends || {};
        if ({{ this.get_name() }}_map._rspLegends[{{ this.slot|tojson }}]) {
            {{ this.get_name() }}_map._rspLegends[{{ this.slot|tojson }}].remove();
        }
        {%- else %}
        var {{ this.get_name() }}_map = {{ this._parent.get_name() }};
        {%- endif %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', 'rsp-legend');
            div.innerHTML = {{ this.html|tojson }};
            {%- if not this.visible %}
            div.style.display = 'none';
            {%- endif %}
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this.get_name() }}_map);
        {%- if this.slot %}
        {{ this.get_name() }}_map._rspLegends[{{ this.slot|tojson }}] = {{ this.get_name() }};
        {%- endif %}
        {%- if this.layer_var %}
        {{ this.get_name() }}_map.on('overlayremove overlayadd', function (e) {
            if (e.layer === {{ this.layer_var }}) {
                {{ this.get_name() }}.getContainer().style.display =
                    e.type === 'overlayadd' ? '' : 'none';
            }
        });
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        title: str,
        entries: Sequence[LegendEntry],
        *,
        note: str | None = None,
        position: str = "bottomright",
        layer: MacroElement | None = None,
        slot: str | None = None,
    ) -> None:
        super().__init__()
        if position not in POSITIONS:
            # A programming error, not user input: the app picks the corner.
            raise ValueError(f"position must be one of {POSITIONS}; found '{position}'.")
        self._name = "Legend"
        self.title = title
        self.entries = tuple(entries)
        self.note = note
        self.position = position
        self.layer_var = layer.get_name() if layer is not None else None
        self.visible = bool(getattr(layer, "show", True))
        self.slot = slot

    @property
    def html(self) -> str:
        """The legend's inner HTML, with every text escaped."""
        rows = "".join(_entry_html(e) for e in self.entries)
        note = (
            f'<div style="margin-top:4px;font-size:11px;color:#555;">{escape(self.note)}</div>'
            if self.note
            else ""
        )
        return (
            f'<div style="{_BOX_STYLE}">'
            f'<div style="font-weight:bold;margin-bottom:4px;">{escape(self.title)}</div>'
            f"{rows}{note}</div>"
        )


def _entry_html(entry: LegendEntry) -> str:
    radius = "50%" if entry.shape == "circle" else "2px"
    size = "11px" if entry.shape == "circle" else "14px"
    swatch = (
        f'<span style="display:inline-block;width:{size};height:{size};margin-right:6px;'
        f"vertical-align:middle;border-radius:{radius};background:{escape(entry.color)};"
        f'border:{escape(entry.border)};"></span>'
    )
    count = f' <span style="color:#666;">({entry.count})</span>' if entry.count is not None else ""
    return f'<div class="rsp-legend-row">{swatch}{escape(entry.label)}{count}</div>'
