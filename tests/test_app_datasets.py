"""The municipality picker: full datasets and the national base layer, opened from a share link."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo.data import national
from ui.datasets import PICKER_KEY

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _open(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(str(x.value) for x in (*at.info, *at.warning, *at.caption, *at.markdown, *at.error))


def test_picker_lists_the_country_full_datasets_then_every_base_layer_municipality():
    at = _open({})
    picker = at.selectbox(key=PICKER_KEY)
    options = list(picker.options)
    assert options[0] == "Heel Nederland" and options[1] == "Utrecht" and "Delft" in options[:4]
    assert sum("basislaag" in o for o in options) == len(national.municipalities()) - 2  # Utrecht, Delft are full
    assert picker.value == "utrecht"


def test_a_link_opens_delft_with_its_street_network_and_the_approximation_label():
    at = _open({"ds": "delft"})
    assert at.selectbox(key=PICKER_KEY).value == "delft"
    text = _texts(at)
    assert "Reistijden over het straten-netwerk" in text
    assert "benaderingen" in text and "auto's" in text  # car roads only: walking times are approximations
    assert len(at.dataframe[0].value) == 73


def test_a_link_opens_tilburg_from_the_base_layer_and_says_what_is_missing():
    at = _open({"ds": "GM0855", "lang": "en"})
    assert at.selectbox(key=PICKER_KEY).value == "GM0855"
    text = _texts(at)
    assert "Base layer" in text and "Missing from the base layer" in text
    assert "No buurt boundaries are available" in text and "(254 / 254)" in text
    assert len(at.dataframe[0].value) == 254  # every buurt ranked, none drawn
    assert any("Fetch the data for Tilburg" in b.label for b in at.button)


def test_s_hertogenbosch_is_drawn_where_it_has_shapes():
    at = _open({"ds": "GM0796"})
    text = _texts(at)
    assert "(16 / 108)" in text  # 16 buurten without a 2014 shape, the other 92 on the map
    assert len(at.dataframe[0].value) == 108


def test_an_unknown_dataset_in_a_link_falls_back_with_a_notice():
    at = _open({"ds": "<script>alert(1)</script>"})
    assert at.selectbox(key=PICKER_KEY).value == "utrecht"
    assert any("ds" in str(w.value) and "<script>" not in str(w.value) for w in at.warning)
