"""UI helpers that guard what users see."""

import os

from geo.data import national
from ui.i18n import _TEXT, t
from ui.markdown import md_escape
from ui.state import COUNTRY_REF, file_key


def test_md_escape_neutralises_links_images_and_html():
    hostile = "![x](http://evil.example/a.png) <script>alert(1)</script> [klik](javascript:alert(1)) *vet*"
    out = md_escape(hostile)
    for raw in ("![", "](", "<script>", "[klik]", "*vet*"):
        assert raw not in out
    assert out.replace("\\", "") == hostile  # nothing lost, only escaped


def test_every_text_exists_in_both_languages():
    for key, (nl, en) in _TEXT.items():
        assert nl.strip() and en.strip(), key
        assert nl.count("{") == en.count("{"), key  # same placeholders
    assert t("title", "en") == "Rich School Day Planner"


def test_the_country_is_keyed_on_the_national_files_and_every_dataset_folder(tmp_path):
    folder = tmp_path / "stad"
    folder.mkdir()
    (folder / "dataset.json").write_text("{}", encoding="utf-8")
    (folder / "dataset.gpkg").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a dataset", encoding="utf-8")
    ref = f"{COUNTRY_REF}{tmp_path}"
    path, first = file_key(ref)
    assert path == ref and first >= (national.NATIONAL_DIR / national.MANIFEST_FILE).stat().st_mtime
    later = first + 100
    os.utime(folder / "dataset.gpkg", (later, later))  # a dataset of the folder changed: a new cache entry
    assert file_key(ref) == (ref, later)
