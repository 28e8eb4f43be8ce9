import pytest

from clockodo_mcp.domain.names import Ambiguous, Candidate, NoMatch, rank, resolve

PROJECTS = [
    Candidate("project", 17, "Phoenix", context="customer Acme Corp"),
    Candidate("project", 3, "Project Alpha", context="customer Client XYZ"),
    Candidate("project", 4, "Website Redesign", context="customer Client XYZ"),
    Candidate("project", 9, "Website Redesign", active=False, context="customer Nordlicht GmbH"),
    Candidate("project", 11, "Mobile App"),
]
USERS = [
    Candidate("user", 5, "Sarah Chen", aliases=("sarah.chen@demo.example",)),
    Candidate("user", 6, "Sarah Miller"),
    Candidate("user", 7, "Tom Becker"),
]


def test_an_exact_name_resolves_regardless_of_case_and_accents():
    assert resolve("phöenix", [Candidate("project", 1, "Phoenix")], "project").id == 1
    assert resolve("PHOENIX", PROJECTS, "project").id == 17


def test_a_unique_word_prefix_resolves():
    assert resolve("alpha", PROJECTS, "project").id == 3
    assert resolve("tom", USERS, "user").id == 7


def test_an_id_resolves_directly():
    assert resolve(11, PROJECTS, "project").name == "Mobile App"
    assert resolve("17", PROJECTS, "project").name == "Phoenix"


def test_an_unknown_id_is_no_match():
    with pytest.raises(NoMatch, match="No project matches '99'"):
        resolve(99, PROJECTS, "project")


def test_an_active_exact_match_wins_over_an_archived_namesake():
    assert resolve("Website Redesign", PROJECTS, "project").id == 4


def test_a_first_name_shared_by_two_people_is_ambiguous_and_lists_both():
    with pytest.raises(Ambiguous) as error:
        resolve("Sarah", USERS, "user")
    message = str(error.value)
    assert "Sarah Chen (user 5)" in message
    assert "Sarah Miller (user 6)" in message
    assert "Ask which one is meant" in message


def test_a_typo_is_never_guessed_but_suggested():
    with pytest.raises(NoMatch, match=r"Did you mean: Phoenix \(project 17, customer Acme Corp\)"):
        resolve("Pheonix", PROJECTS, "project")


def test_a_name_with_extra_words_is_suggested_not_accepted():
    with pytest.raises(NoMatch, match="Did you mean: Phoenix"):
        resolve("phoenix project", PROJECTS, "project")


def test_an_alias_such_as_an_email_resolves():
    assert resolve("sarah.chen@demo.example", USERS, "user").id == 5


def test_nothing_similar_suggests_the_lookup_tool():
    with pytest.raises(NoMatch, match="Use the lookup tool"):
        resolve("zzzz", PROJECTS, "project")


def test_rank_orders_best_first_and_marks_archived():
    ranked = rank("website", PROJECTS)
    assert [s.candidate.id for s in ranked[:2]] == [4, 9]
    assert ranked[1].label().endswith("archived)")


PEOPLE = [
    Candidate("user", 21, "Anna Müller"),
    Candidate("user", 22, "Jürgen Götz"),
    Candidate("user", 23, "José Ortega"),
    Candidate("user", 24, "Ärzte Öffentlich Übersee"),
]
STREETS = [Candidate("customer", 31, "Hauptstraße 5 GmbH"), Candidate("customer", 32, "Gartenweg AG")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Anna Mueller", 21),
        ("anna muller", 21),
        ("ANNA MÜLLER", 21),
        ("Juergen Goetz", 22),
        ("Jurgen Gotz", 22),
        ("Jose Ortega", 23),
        ("Aerzte Oeffentlich Uebersee", 24),
        ("AERZTE OEFFENTLICH UEBERSEE", 24),
    ],
)
def test_a_name_typed_without_umlauts_or_accents_resolves(query: str, expected: int) -> None:
    assert resolve(query, PEOPLE, "user").id == expected


def test_mueller_finds_mueller_with_umlaut_and_back() -> None:
    assert resolve("Mueller", [Candidate("user", 1, "Müller")], "user").id == 1
    assert resolve("Müller", [Candidate("user", 2, "Mueller")], "user").id == 2
    assert resolve("Götz", [Candidate("user", 3, "Goetz")], "user").id == 3


def test_a_name_in_decomposed_unicode_is_the_same_name() -> None:
    decomposed = "Mu\u0308ller"  # as some keyboards and file systems send it
    assert resolve(decomposed, [Candidate("user", 1, "Müller")], "user").id == 1
    assert rank(decomposed, [Candidate("user", 1, "Müller")])[0].score == 1.0


def test_strasse_and_strasse_with_eszett_are_the_same_name() -> None:
    assert resolve("Hauptstrasse 5 GmbH", STREETS, "customer").id == 31
    assert resolve("HAUPTSTRASSE 5 GMBH", STREETS, "customer").id == 31
    assert resolve("Gartenweg AG", STREETS, "customer").id == 32
    assert rank("Hauptstrasse 5 GmbH", STREETS)[0].score == 1.0  # casefold makes ß and ss equal


def test_a_folded_match_scores_just_below_an_exact_one() -> None:
    [mueller] = rank("Mueller", [Candidate("user", 1, "Müller")])
    [upper] = rank("MÜLLER", [Candidate("user", 1, "Müller")])
    assert (mueller.score, upper.score) == (0.95, 1.0)


def test_a_word_prefix_without_umlauts_resolves() -> None:
    assert resolve("Juergen", PEOPLE, "user").id == 22
    assert resolve("goet", PEOPLE, "user").id == 22


def test_the_exact_spelling_wins_over_a_namesake_that_only_folds_equal() -> None:
    both = [Candidate("user", 1, "Müller"), Candidate("user", 2, "Muller")]
    assert resolve("Muller", both, "user").id == 2
    assert resolve("Müller", both, "user").id == 1
    assert rank("Muller", both)[0].score == 1.0
    assert resolve("Mueller", both, "user").id == 1  # only Müller spells out as Mueller


def test_a_folded_name_matching_two_people_is_ambiguous() -> None:
    with pytest.raises(Ambiguous) as error:
        resolve("Muller", [Candidate("user", 1, "Müller"), Candidate("user", 2, "Mùller")], "user")
    assert "Müller (user 1)" in str(error.value)
    assert "Mùller (user 2)" in str(error.value)
    spelled_both_ways = [Candidate("user", 3, "Muller"), Candidate("user", 4, "Mueller")]
    with pytest.raises(Ambiguous, match="matches 2 users"):
        resolve("Müller", spelled_both_ways, "user")  # no exact Müller: both are what the typist may mean


def test_an_active_folded_match_wins_over_an_archived_namesake() -> None:
    namesakes = [Candidate("user", 1, "Müller", active=False), Candidate("user", 2, "Mùller")]
    assert resolve("Muller", namesakes, "user").id == 2


def test_spelling_out_umlauts_does_not_make_unrelated_names_equal() -> None:
    with pytest.raises(NoMatch, match="Did you mean: Mueller"):
        resolve("Muler", [Candidate("user", 1, "Mueller")], "user")
