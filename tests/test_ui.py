"""UI helpers that guard what users see."""

from ui.i18n import _TEXT, t
from ui.markdown import md_escape


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
