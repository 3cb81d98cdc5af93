"""Resource quantities as the API server parses them (`rules.quantities`)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gitops.validation.rules.quantities import parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", Fraction(1, 10)),
        ("1", Fraction(1)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("1e3", Fraction(1000)),
        ("1E", Fraction(10**18)),
        (".5", Fraction(1, 2)),
        ("+2k", Fraction(2000)),
        (0.25, Fraction(1, 4)),
        (3, Fraction(3)),
    ],
)
def test_quantities_that_parse(text: object, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1 Gi", "1GB", "1gi", "abc", "", "1e", "--1", "Mi", True, None])
def test_quantities_the_api_server_refuses(text: object) -> None:
    assert parse_quantity(text) is None
