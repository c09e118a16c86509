"""Budget allocation, the words: every template in both languages, one code path, the sentences it makes."""

import ast
import string
from collections.abc import Mapping
from pathlib import Path

import pytest

from geo.decide import budget as budget_model
from geo.decide.budget import (
    STOP_NOTHING_AFFORDABLE,
    AllocationProblem,
    greedy_allocation,
    make_facility,
    make_programme,
    wording,
)
from geo.errors import ParameterError
from geo.lang import LANGUAGES

PACKAGE = Path(budget_model.__file__).parent


def _templates() -> dict[str, Mapping[str, str]]:
    """Every template of the wording module, by name (a Plural gives two: NAME.one and NAME.many)."""
    found: dict[str, Mapping[str, str]] = {}
    for name, value in vars(wording).items():
        if isinstance(value, wording.Plural):
            found[f"{name}.one"], found[f"{name}.many"] = value.one, value.many
        elif name.isupper() and isinstance(value, Mapping):
            found[name] = value
    return found


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_template_has_both_languages_with_the_same_placeholders():
    templates = _templates()
    assert len(templates) >= 25  # the scan really finds them
    for name, template in templates.items():
        assert set(template) == set(LANGUAGES), name
        assert all(template[lang].strip() for lang in LANGUAGES), name
        nl, en = (_placeholders(template[lang]) for lang in LANGUAGES)
        assert nl == en, f"{name}: {sorted(nl)} in Dutch, {sorted(en)} in English"
    for name, value in vars(wording).items():
        if isinstance(value, wording.Plural):
            assert _placeholders(value.one["nl"]) == _placeholders(value.many["nl"]), name


def test_fill_formats_numbers_and_bilingual_pieces_per_language():
    template = {"nl": "{label}: {n} kinderen", "en": "{label}: {n} children"}
    label = ("Rijke-schooldagprogramma", "Rich school day programme")
    assert (
        wording.fill(template, "nl", label=label, n=wording.Number(1695))
        == "Rijke-schooldagprogramma: 1.695 kinderen"
    )
    assert (
        wording.fill(template, "en", label=label, n=wording.Number(1695))
        == "Rich school day programme: 1,695 children"
    )
    assert wording.in_both(wording.PLACE_SITE, site="veld") == ("op locatie veld", "at site veld")
    assert wording.plain_number(7.5) == wording.Number(7.5, 1) and wording.plain_number(
        10.0
    ) == wording.Number(10.0, 0)
    with pytest.raises(ParameterError, match="language"):
        wording.fill(template, "de", label=label, n=wording.Number(1))


def _facts(**over) -> wording.StepFacts:
    facts = {
        "step": 2,
        "label": make_facility("sport").labels,
        "place": wording.PLACE_BUURT_CENTRE,
        "buurt": wording.buurt_with_code("Ondiep", "BU03440222"),
        "site": "BU03440222",
        "cost_eur": 400_000.0,
        "children": 1234.0,
        "buurten_reached": ["Ondiep"],
        "gain": 2000.0,
        "gain_per_eur": 0.005,
        "spent_eur": 800_000.0,
        "left_eur": 200_000.0,
        "why": wording.WHY_HIGHEST_RATIO,
        "reach_m": 500.0,
        "walk_minutes": 7.5,
    }
    facts.update(over)
    return wording.StepFacts(**facts)


def test_step_sentence_in_both_languages():
    nl, en = wording.step_sentence(_facts())
    assert nl == (
        "Stap 2: Nieuwe sportaccommodatie bij het midden van Ondiep (BU03440222) voor € 400.000. "
        "Bereikt 1.234 kinderen van 0–14 jaar in 1 buurt die nu verder dan 500 m (7,5 minuten lopen) "
        "van zo'n voorziening ligt (Ondiep); behoeftegewogen 2.000, dat is 5,00 per € 1.000 "
        "(de hoogste opbrengst per euro van wat nog in het budget past). Besteed: € 800.000, over: € 200.000."
    )
    assert en == (
        "Step 2: New sports facility at the centre of Ondiep (BU03440222) for € 400,000. "
        "Reaches 1,234 children aged 0–14 in 1 buurt that is now more than 500 m (7.5 minutes' walk) "
        "from one (Ondiep); need-weighted 2,000, that is 5.00 per € 1,000 "
        "(the highest gain per euro of what still fits in the budget). Spent: € 800,000, left: € 200,000."
    )


def test_step_sentence_lists_five_buurten_then_how_many_more():
    names = [f"Buurt {i}, oost" for i in range(8)]
    nl, en = wording.step_sentence(_facts(buurten_reached=names))
    assert "in 8 buurten die nu verder dan" in nl and "liggen (Buurt 0, oost; " in nl
    assert "Buurt 4, oost; en 3 andere)" in nl and "Buurt 5" not in nl
    assert "in 8 buurten that are now more than" in en and "Buurt 4, oost; and 3 more)" in en


def test_programme_step_has_no_reach_and_a_plain_place():
    programme = make_programme()
    nl, en = wording.step_sentence(
        _facts(label=programme.labels, place=wording.PLACE_IN_BUURT, reach_m=None, walk_minutes=None)
    )
    assert nl.startswith("Stap 2: Rijke-schooldagprogramma in Ondiep (BU03440222) voor € 400.000.")
    assert "in 1 buurt; behoeftegewogen" in nl and "in 1 buurt; need-weighted" in en


def test_notes_choose_the_singular_or_plural_form():
    assert wording.missing_children(1) == (
        "1 buurt zonder bekend aantal kinderen (CBS geheimhouding) telt als 0 kinderen.",
        "1 buurt without a known number of children (CBS suppression) counts as 0 children.",
    )
    assert wording.missing_children(3)[0].startswith("3 buurten zonder bekend aantal kinderen")
    assert wording.missing_children(3)[1].endswith("count as 0 children.")
    label = make_facility("library").labels
    assert wording.unknown_distance(label, 2)[1] == (
        "New library: 2 buurten without a known current distance are not counted as newly reached."
    )
    assert wording.measured_as([]) == ("onbekend", "unknown")
    assert wording.measured_as(["cbs_road", "odd"])[1] == "CBS road distance (mean over addresses); odd"


def test_nothing_affordable_says_what_the_cheapest_costs():
    problem = AllocationProblem.from_gains([150_000, 200_000], [3, 4])
    alloc = greedy_allocation(problem, 100)
    assert alloc.steps.empty and alloc.stop_reason == STOP_NOTHING_AFFORDABLE
    assert any("150.000" in n for n in alloc.notes_nl)
    assert any("150,000" in n for n in alloc.notes_en)


def test_names_and_notes_in_an_unknown_language_are_an_error():
    alloc = greedy_allocation(AllocationProblem.from_gains([1], [1]), 1)
    assert alloc.notes("en") == alloc.notes_en and alloc.notes("nl") == alloc.notes_nl
    assert make_facility("sport").label("en") == "New sports facility"
    with pytest.raises(ParameterError, match="language"):
        alloc.notes("de")
    with pytest.raises(ParameterError, match="language"):
        make_programme().label("fr")


# --------------------------------------------------------------------------- the package's shape


def _package_imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("geo.decide.budget"):
            found.add(
                node.module.removeprefix("geo.decide.budget").lstrip(".") or next(a.name for a in node.names)
            )
    return found


def test_the_package_imports_in_one_direction_and_never_inside_a_function():
    # wording ← problem ← solve: the words know nothing of the model, the model nothing of the solver.
    assert _package_imports("wording") == set()
    assert _package_imports("problem") == {"wording"}
    assert _package_imports("solve") == {"wording", "problem"}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}: import inside {node.name}"


def test_the_public_api_is_reexported():
    assert set(budget_model.__all__) <= set(dir(budget_model))
    for name in (
        "allocate_budget",
        "BudgetParams",
        "InterventionType",
        "make_programme",
        "make_facility",
        "build_problem",
        "greedy_allocation",
        "brute_force_allocation",
        "Allocation",
        "AllocationProblem",
        "PROGRAMME",
        "STEP_COLUMNS",
        "SENTENCE_NL",
        "SENTENCE_EN",
    ):
        assert name in budget_model.__all__, name
