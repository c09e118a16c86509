"""The app's "Eigen bestanden" section, driven headless with AppTest on the embedded Utrecht default.

Streamlit 1.67's AppTest drives ``st.file_uploader`` itself (``set_value((name, bytes, mime))``), so these
tests upload through the real widget; one test also calls the view's reader with a stand-in object that
has only ``.name``, ``.size`` and ``.getvalue()`` (what older AppTests cannot upload).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.data import files, upload
from geo.data.paths import DEFAULT_DATA_DIR
from ui import serving

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
UPLOADS = ROOT / "tests" / "fixtures" / "uploads"
SHARED = ROOT / "tests" / "fixtures" / "shared"
TIMEOUT = 120
SAVE = "Bewaar als dataset"


@pytest.fixture
def app(monkeypatch, tmp_path) -> AppTest:
    monkeypatch.setenv("RSP_UPLOADS_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv(upload.MAX_MB_ENV, raising=False)
    monkeypatch.delenv(upload.MAX_FEATURES_ENV, raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def put(at: AppTest, kind: str, name: str, data: bytes | None) -> AppTest:
    at.file_uploader(key=f"upload_{kind}").set_value(None if data is None else (name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def dataset_caption(at: AppTest) -> str:
    return at.caption[0].value.rsplit("·", 1)[-1].strip()


def unescaped(text: str, chars: str = "<>[]()!*`") -> list[str]:
    """Markdown/HTML characters in ``text`` that are not backslash-escaped."""
    return re.findall(r"(?<!\\)[" + re.escape(chars) + "]", text)


def assert_app_still_works(at: AppTest) -> None:
    assert at.title[0].value == "Rijke Schooldag Planner"
    assert len(at.dataframe[0].value) == 111  # the ranking table of the default
    assert dataset_caption(at) == "Utrecht"


def test_the_section_is_in_the_sidebar_in_both_languages(app):
    labels = [e.label for e in app.sidebar.expander]
    assert "Eigen bestanden" in labels
    assert [u.label for u in app.sidebar.file_uploader] == [
        "Buurten (GeoPackage, GeoJSON of gezipte Shapefile)",
        "CBS-tabel (kerncijfers wijken en buurten, xlsx of csv)",
        "Voorzieningen (GeoPackage, GeoJSON, CSV of xlsx)",
    ]
    assert app.file_uploader(key="upload_facilities").allowed_type == [".gpkg", ".geojson", ".json", ".csv", ".xlsx"]
    assert not app.sidebar.success  # nothing uploaded: the app uses the shipped data
    app.radio(key="lang").set_value("en").run()
    assert "Your own files" in [e.label for e in app.sidebar.expander]
    assert app.sidebar.file_uploader[2].label == "Facilities (GeoPackage, GeoJSON, CSV or xlsx)"


def test_a_facility_csv_is_read_reported_and_added_to_ranking_and_map(app):
    put(app, "facilities", "sport_soort_rd.csv", (UPLOADS / "sport_soort_rd.csv").read_bytes())
    summary = next(m.value for m in app.sidebar.markdown if "sport\\_soort\\_rd.csv" in m.value)
    assert "15 van 30 rijen gebruikt" in summary
    assert "Kolommen x en y gelezen als RD New (EPSG:28992, meters)" in summary
    assert "Sportaccommodatie 14 · Zwembad 1" in summary
    warning = next(w.value for w in app.sidebar.warning if "Niet herkende soorten" in w.value)
    assert "„fitness”: 4 rijen" in warning and "„golf”: 1 rij" in warning
    assert any("plus 15 geüploade" in s.value for s in app.sidebar.success)
    assert dataset_caption(app) == "Utrecht"  # the same dataset, with more points
    # The ranking and the map run on the dataset with the uploaded points.
    directory = Path(app.session_state["_upload_active"]["directory"])
    ds = files.load_dataset(directory)
    assert (ds.facilities["source"] == upload.UPLOAD_SOURCE).sum() == 15
    assert set(app.multiselect(key="facility_types").value) == {"sport", "swimming_pool", "primary_school"}
    assert len(app.dataframe[0].value) == 111
    # Taking the file away goes back to the shipped data.
    put(app, "facilities", "", None)
    assert_app_still_works(app)


def test_new_types_are_ticked_on_the_map(app):
    put(app, "facilities", "leeg.csv", b"naam;soort;x;y\n")  # no rows: refused, nothing changes
    assert any("has no rows" in e.value for e in app.sidebar.error)
    assert set(app.multiselect(key="facility_types").value) == {"sport", "swimming_pool", "primary_school"}
    data = "naam;soort;x;y\nBibliotheek Neude;bieb;136600;455900\nBuurthuis De Leeuw;buurthuis;134900;456300\n"
    put(app, "facilities", "eigen.csv", data.encode("utf-8"))
    assert set(app.multiselect(key="facility_types").value) == {
        "sport", "swimming_pool", "primary_school", "library", "community_centre",
    }
    put(app, "facilities", "", None)
    assert set(app.multiselect(key="facility_types").value) == {"sport", "swimming_pool", "primary_school"}


def test_a_refused_file_shows_an_escaped_error_and_the_app_keeps_running(app):
    hostile = "![x](http://evil.example/a.png) <img src=x onerror=alert(1)> *vet*.csv"
    put(app, "facilities", hostile, (UPLOADS / "bad" / "html_page_named.csv").read_bytes())
    error = next(e.value for e in app.sidebar.error if "niet geladen" in e.value)
    assert "looks like an HTML or XML page" in error
    assert "Verwacht: één rij of punt per voorziening" in error and "upload het opnieuw" in error
    # The first paragraph is the file name and the loader's message: every special character in them is escaped.
    head = error.split("\n\n")[0]
    assert head.startswith("**") and ".** " in head
    assert not unescaped(head[2:].replace(".** ", ". ", 1))
    assert "evil.example" in head  # shown, as text
    assert "Traceback" not in error
    assert_app_still_works(app)
    # A type value with markup is listed as text.
    rows = ("naam;soort;x;y\nA;<script>alert(1)</script>;136600;455900\nB;[klik](javascript:x);136700;455900\n"
            "C;bieb;136800;455900\n")
    put(app, "facilities", "f.csv", rows.encode("utf-8"))
    warning = next(w.value for w in app.sidebar.warning if "Niet herkende soorten" in w.value)
    values = re.findall(r"„(.*?)”", warning)
    assert len(values) == 2 and all(not unescaped(v) for v in values)
    assert "script" in values[0] and "javascript" in values[1]  # shown, as text


def test_english_refusal_and_the_size_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv(upload.MAX_MB_ENV, "0.001")  # read when the section is drawn (the server's environment)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    app.radio(key="lang").set_value("en").run()
    put(app, "facilities", "sport_soort_rd.csv", (UPLOADS / "sport_soort_rd.csv").read_bytes())
    error = next(e.value for e in app.sidebar.error)
    assert "was not loaded" in error and "up to 0.001 MB" in error and "GEO\\_UPLOAD\\_MAX\\_MB" in error
    assert "Expected: one row or point per facility" in error
    assert app.title[0].value == "Rich School Day Planner" and len(app.dataframe[0].value) == 111


def test_buurten_and_cbs_table_become_the_dataset_and_can_be_saved(app, tmp_path):
    gpkg = SHARED / "utrecht_buurten_gemeente_2013" / "utrecht_buurten_kwb2023_rd.gpkg"
    put(app, "buurten", gpkg.name, gpkg.read_bytes())
    assert any("Upload ook een CBS-tabel" in i.value for i in app.sidebar.info)
    assert dataset_caption(app) == "Utrecht"  # not used until the CBS table is there
    kwb = SHARED / "utrecht_cbs_kwb_2023_2024" / "CBS-Utrecht-kwb-2023.xlsx"
    put(app, "cbs", kwb.name, kwb.read_bytes())
    assert dataset_caption(app) == "Utrecht upload"
    assert any("uw eigen buurten en CBS-cijfers (111 buurten)" in s.value for s in app.sidebar.success)
    assert app.dataframe[0].value.iloc[:, 0].notna().sum() == 110  # ranked by the same pipeline

    def save(name: str) -> None:
        app.text_input(key="upload_slug").set_value(name)
        next(b for b in app.button if b.label == SAVE).click()
        app.run()
        assert not app.exception

    for bad in ("../x", "utrecht"):
        save(bad)
        assert any("Er ging iets mis" in e.value for e in app.sidebar.error)
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    save("mijn-utrecht")
    target = tmp_path / "uploads" / "mijn-utrecht"
    assert any("Bewaard in" in s.value for s in app.sidebar.success)
    assert str(target) in app.sidebar.code[0].value
    saved = files.load_dataset(target)
    assert saved.name == "mijn-utrecht" and len(saved.buurten) == 111
    assert (DEFAULT_DATA_DIR / files.DATASET_FILE).exists()
    put(app, "cbs", "", None)
    assert_app_still_works(app)


def test_the_reader_takes_any_object_with_name_size_and_getvalue():
    def script() -> None:
        import streamlit as st

        from ui.upload_view import read_uploaded

        class Fake:
            def __init__(self, name: str, data: bytes) -> None:
                self.name, self.size, self._data = name, len(data), data

            def getvalue(self) -> bytes:
                return self._data

        good = b"naam;soort;x;y\nBieb Neude;bieb;136600;455900\n"
        st.session_state["ok"] = read_uploaded("facilities", Fake("a.csv", good), "nl") is not None
        st.session_state["bad"] = read_uploaded("buurten", Fake("<b>x</b>.geojson", b"\x89PNG\r\n\x1a\n..."), "nl")
        st.write("na de upload")

    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert at.session_state["ok"] is True and at.session_state["bad"] is None
    assert "looks like a PNG image" in at.error[0].value and "\\<b\\>x\\</b\\>" in at.error[0].value
    assert at.markdown[-1].value == "na de upload"


def test_a_server_that_accepts_less_than_the_app_reads_says_so(monkeypatch):
    # The app would read 100 MB, but the server's own limit (.streamlit/config.toml) refuses such a file first.
    monkeypatch.setenv(upload.MAX_MB_ENV, "100")
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    warning = next(w.value.replace("\\", "") for w in app.sidebar.warning if "server" in w.value)
    assert f"tot {serving.server_upload_mb()} MB" in warning and upload.MAX_MB_ENV in warning
    # The uploaders then refuse in the browser what the server would refuse, at the server's limit.
    assert {u.proto.max_upload_size_mb for u in app.sidebar.file_uploader[:3]} == {serving.server_upload_mb()}


def test_with_the_default_limits_server_and_app_agree(app):
    assert not [w.value for w in app.sidebar.warning if "server" in w.value]
