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
