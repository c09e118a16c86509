"""The explanation of a buurt's rank on the real Utrecht default."""

import numpy as np
import pytest

from geo import schema
from geo.decide import pipeline
from geo.decide.explain import explain_buurt


@pytest.fixture(scope="module")
def result():
    return pipeline.run()


def test_top_buurt_sentence_names_rank_and_main_drivers(result):
    top = result.table.index[0]
    e = explain_buurt(result.table, result.ranking, top)
    assert e.rank == 1 and e.n_ranked == 110
    assert e.sentence.startswith(f"{result.table.loc[top, schema.BUURT_NAME]} staat op 1 van 110, vooral door ")
    first = e.rows.iloc[0]
    assert first["contribution"] > 0
    assert first["label"][0].lower() + first["label"][1:] in e.sentence


def test_rows_add_up_to_the_score(result):
    for code in result.table.index[:20]:
        e = explain_buurt(result.table, result.ranking, code)
        assert e.rows["contribution"].sum() == pytest.approx(result.table.loc[code, schema.PRIORITY_SCORE])
        assert np.all(np.diff(e.rows["contribution"].abs()) <= 1e-12)


def test_english_and_unranked(result):
    code = result.table.index[0]
    sentence = explain_buurt(result.table, result.ranking, code, lang="en").sentence
    assert " ranks 1 of 110, mainly because of " in sentence
    unranked = result.table.index[result.table[schema.STATUS] == schema.STATUS_NO_INHABITANTS][0]
    e = explain_buurt(result.table, result.ranking, unranked)
    assert e.rank is None and "geen inwoners" in e.sentence


def test_bottom_buurt_is_explained_by_what_holds_it_down(result):
    last = result.table[result.table[schema.STATUS] == schema.STATUS_RANKED].index[-1]
    e = explain_buurt(result.table, result.ranking, last)
    assert " lager dan in " in e.sentence or "hoger dan in" in e.sentence
    drivers = e.rows[e.rows["contribution"] < 0]
    assert drivers.iloc[0]["label"][1:] in e.sentence


def test_straight_line_distances_are_labelled_in_the_sentence_and_the_table(result):
    e = explain_buurt(
        result.table, result.ranking, "BU03441021", measures=result.prepared.access.measures
    )  # Vleuterweide-West: far from sport by straight line
    assert "afstand tot sportaccommodatie (2.675 m hemelsbreed;" in e.sentence
    assert (result.table["dist_sport_method"] == "straight_line").all()
    assert (result.table["dist_library_method"] == "cbs_road").all()
