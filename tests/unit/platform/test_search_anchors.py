"""services.platform.search: long terms are looked up through a few rare trigrams and checked whole;
the rows a search will find are estimated from a sample of search texts."""
import random

import pytest
from sqlalchemy import insert, select

from models import Customer
from services.platform.search import SearchSample, anchor_trigrams, estimate_matches, sample_search_texts, search_condition


def test_anchors_are_rare_trigrams_of_the_term_not_the_domain():
    anchors = anchor_trigrams("lennart.nieminen@nybergvvs681.se")
    assert len(anchors) == 3
    assert all(a in "lennart.nieminen@nybergvvs681.se" and len(a) == 3 for a in anchors)
    assert not any(a in (".se", "1.s") for a in anchors)  # the top-level domain is in every other row
    assert any("@" in a or "." in a or a.isdigit() or any(c.isdigit() for c in a) for a in anchors)


def test_anchors_skip_common_name_endings_and_number_prefixes():
    assert "sso" not in anchor_trigrams("abrahamsson") and "son" not in anchor_trigrams("abrahamsson")
    assert "073" not in anchor_trigrams("0734344327")
    assert anchor_trigrams("ab") == ["ab"]


@pytest.mark.parametrize("indexed", [True, False], ids=["through-the-index", "row-by-row"])
@pytest.mark.parametrize("query, expected", [
    ("nybergvvs681", {"A"}),               # anchors find A and B shares none, C shares them: checked whole
    ("lennart.nieminen@nybergvvs681.se", {"A"}),
    ("vvs681", {"A", "C"}),
    ("jansson", {"B"}),
    ("JANSSON b", {"B"}),
    ("ab", set()),
])
def test_anchored_search_finds_exactly_the_rows_containing_the_term(session, query, expected, indexed):
    session.execute(insert(Customer), [
        {"customer_number": "1", "name": "A", "kind": "company",
         "search_text": "a | lennart.nieminen@nybergvvs681.se"},
        {"customer_number": "2", "name": "B", "kind": "company", "search_text": "b | jansson"},
        {"customer_number": "3", "name": "C", "kind": "company",
         "search_text": "c | nyberg vvs681 t.n @ny 81."},
    ])
    session.commit()
    condition = search_condition(session.get_bind().dialect.name, Customer, query, indexed=indexed)
    assert set(session.scalars(select(Customer.name).where(condition))) == expected


def test_estimate_scales_the_share_of_the_sample_that_matches_every_term():
    sample = SearchSample(["anna svensson | 070-1 | 0701"] * 30 + ["arvid svensson | 0701"] * 10 + ["bo ek"] * 60)
    assert estimate_matches(sample, 1_000_000, "svensson") == 400_000
    assert estimate_matches(sample, 1_000_000, "Arvi SVENSS") == 100_000
    assert estimate_matches(sample, 1_000_000, "070-1") == 400_000  # a number: its digits
    assert estimate_matches(sample, 1_000_000, "zzz") == 0
    assert estimate_matches(sample, 1_000_000, "   ") == 0
    assert estimate_matches(SearchSample(["bo | ek", "ek | bo", "bob"]), 3, "bo ek") == 2
    assert estimate_matches(SearchSample(["ssss", "s"]), 2, "ss") == 1  # a text counts once
    assert estimate_matches(SearchSample([]), 1_000_000, "svensson") == 0


def test_sample_is_random_rows_of_the_table_and_at_most_the_table(session):
    session.execute(insert(Customer), [
        {"customer_number": str(i), "name": f"K{i}", "kind": "company", "search_text": f"k{i}"}
        for i in range(1, 201)])
    session.commit()
    sample = sample_search_texts(session, Customer, 50, random.Random(1)).text.split("\n")
    assert len(sample) == 50 and len(set(sample)) == 50
    assert set(sample) <= {f"k{i}" for i in range(1, 201)}
    assert sample != sample_search_texts(session, Customer, 50, random.Random(2)).text.split("\n")
    whole = sample_search_texts(session, Customer, 1000)
    assert whole.size == 200 and sorted(whole.text.split("\n")) == sorted(f"k{i}" for i in range(1, 201))


def test_sample_of_an_empty_table_is_empty(session):
    assert sample_search_texts(session, Customer, 50).size == 0
