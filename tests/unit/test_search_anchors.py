"""services.search: long terms are looked up through a few rare trigrams and checked whole."""
import pytest
from sqlalchemy import insert, select

from models import Customer
from services.search import anchor_trigrams, search_condition


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


@pytest.mark.parametrize("query, expected", [
    ("nybergvvs681", {"A"}),               # anchors find A and B shares none, C shares them: checked whole
    ("lennart.nieminen@nybergvvs681.se", {"A"}),
    ("vvs681", {"A", "C"}),
    ("jansson", {"B"}),
])
def test_anchored_search_finds_exactly_the_rows_containing_the_term(session, query, expected):
    session.execute(insert(Customer), [
        {"customer_number": "1", "name": "A", "kind": "company",
         "search_text": "a | lennart.nieminen@nybergvvs681.se"},
        {"customer_number": "2", "name": "B", "kind": "company", "search_text": "b | jansson"},
        {"customer_number": "3", "name": "C", "kind": "company",
         "search_text": "c | nyberg vvs681 t.n @ny 81."},
    ])
    session.commit()
    condition = search_condition(session.get_bind().dialect.name, Customer, query)
    assert set(session.scalars(select(Customer.name).where(condition))) == expected
