"""ensure_series: a new series starts where it is told, with the given prefix or none."""
import pytest

from models import NumberSeries
from services.platform.numbering import ensure_series, take_number


def test_a_new_series_starts_at_its_start_with_its_prefix(session):
    ensure_series(session, "credit_test", 5001, prefix="K")
    ensure_series(session, "plain_test", 70)
    assert session.get(NumberSeries, "credit_test").prefix == "K"
    assert session.get(NumberSeries, "plain_test").prefix == ""
    assert take_number(session, "credit_test") == 5001
    assert take_number(session, "plain_test") == 70
    assert take_number(session, "plain_test") == 71


def test_an_existing_series_is_left_as_it_is(session):
    ensure_series(session, "kept_test", 100, prefix="A")
    take_number(session, "kept_test")
    ensure_series(session, "kept_test", 1, prefix="B")
    series = session.get(NumberSeries, "kept_test")
    assert (series.next_number, series.prefix) == (101, "A")


def test_a_missing_series_is_refused(session):
    with pytest.raises(LookupError, match="nowhere"):
        take_number(session, "nowhere")
