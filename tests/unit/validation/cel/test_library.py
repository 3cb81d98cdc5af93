"""The CEL functions the vendored CRDs use behave as in the API server (cel-go, Kubernetes' env).

Every function the vendored rules call, beyond the core language: the strings extension
(cel-go ext/strings.go, enabled at version 2 by k8s.io/apiserver/pkg/cel/environment/base.go):
`lowerAscii`, `upperAscii`, `split`; and from the standard library the ones whose details matter:
`matches` (RE2 syntax, like Go's regexp), `duration` (Go's time.ParseDuration units),
`startsWith`/`endsWith`/`contains`, `exists_one`, `filter`, map literals indexed by a key, and
heterogeneous numeric comparison (cel.CrossTypeNumericComparisons). An unknown function is a
compile error, never a runtime surprise.
"""

from __future__ import annotations

import pytest

from gitops.validation.cel.program import compile_expression, environment, error_type


def run(expression: str, self_value: object = None) -> object:
    program, error = compile_expression(expression)
    assert error is None, error
    result = program.eval(data={"self": self_value})
    if result.type() == error_type():
        return ("error", result.value())
    return result.plain_value()


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        # ext.Strings: ASCII only, as cel-go's lowerAscii/upperAscii
        ("self.lowerAscii()", "Authorization", "authorization"),
        ("self.upperAscii()", "post", "POST"),
        ("self.lowerAscii()", "ÄBC", "Äbc"),
        ("self.method.upperAscii() in ['POST','PUT']", {"method": "put"}, True),
        # split: all parts; with a limit, at most that many (cel-go strings.go splitN)
        ('self.split("/")', "example.com/name", ["example.com", "name"]),
        ('self.split("/")[0].size() < 253', "a/b/c", True),
        ('self.split("/", 2)', "a/b/c", ["a", "b/c"]),
        ('self.split("/")', "plain", ["plain"]),
        ('"a,b".split(",").join("-")', None, "a-b"),
        # RE2, anchored by the rule itself; inline flags as in Go's regexp
        (r"""self.matches(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')""", "web-1", True),
        (r"""self.matches(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')""", "Web_1", False),
        (r"""self.matches(r'^(?i)\.?[a-z_][a-z_0-9]*$')""", "Foo_Bar", True),
        # Go durations: h, m, s, ms, fractions
        ("duration(self.a) > duration(self.b)", {"a": "1h30m", "b": "90m"}, False),
        ("duration(self) > duration('0s')", "500ms", True),
        ("duration(self) == duration('90s')", "1.5m", True),
        # the standard library as the rules use it
        ("self.startsWith('/') && !self.contains('//') && !self.endsWith('/.')", "/a/b", True),
        ("self.exists_one(x, x == 1)", [1, 2, 1], False),
        ("self.filter(f, f.type == 'CORS').size() <= 1", [{"type": "CORS"}], True),
        ('{"Auto":0,"1.2":3}[self] <= 3', "1.2", True),
        ("self.numerator <= self.denominator", {"numerator": 1, "denominator": 2.5}, True),
        ("self >= 1", 0.5, False),
        ("self.?missing.orValue('none')", {}, "none"),
    ],
)
def test_functions_as_the_api_server(expression, value, expected) -> None:
    assert run(expression, value) == expected


def test_missing_fields_and_bad_regular_expressions_are_errors_not_false() -> None:
    assert run("self.value.startsWith('/')", {"type": "Exact"})[0] == "error"
    assert run("self.matches('[')", "x")[0] == "error"
    assert run("duration(self) > duration('0s')", "2 days")[0] == "error"


@pytest.mark.parametrize(
    "expression",
    [
        "isURL(self)",  # k8s.io/apiserver/pkg/cel/library/urls.go: not in cel-expr-python
        "quantity(self).isGreaterThan(quantity('1'))",  # library/quantity.go
        "self.isSorted()",  # library/lists.go
        "self.findAll('x')",  # library/regex.go
    ],
)
def test_kubernetes_library_functions_are_compile_errors(expression) -> None:
    program, error = compile_expression(expression)
    assert program is None
    assert "undeclared reference" in error


def test_the_environment_is_built_once() -> None:
    assert environment() is environment()
