"""model/frozen.py makes what `@dataclass(frozen=True)` makes, for every feature the package uses.

Each case builds one class twice, with `frozen` and with `dataclasses`, and holds them to the
same behaviour: the constructor, defaults and factories, repr, ==, hash, ordering, a field
that cannot be assigned or deleted, and `replace`.
"""

from __future__ import annotations

import copy
import dataclasses
import operator
import tracemalloc
from collections.abc import Callable
from functools import cached_property
from typing import Any, ClassVar

import pytest

from compiler.model.frozen import FrozenInstanceError, field, frozen, replace


def _pair(order: bool = False) -> tuple[Any, Any]:
    """The same class body made by frozen and by dataclasses."""

    def body(make: Any, specify: Any) -> Any:
        class Value:
            """A value."""

            name: str
            count: int = 1
            tags: tuple[str, ...] = ()
            notes: list[str] = specify(default_factory=list, compare=False)
            hidden: str = specify(default="h", repr=False)
            ignored: int = specify(default=0, compare=False)

            @property
            def double(self) -> int:
                return self.count * 2

        return make(Value)

    ours = body(frozen(order=order), field)
    theirs = body(dataclasses.dataclass(frozen=True, order=order), dataclasses.field)
    return ours, theirs


ARGS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    (("a", 2), {}),
    (("a",), {"tags": ("x",), "notes": ["n"], "hidden": "s", "ignored": 5}),
    (("b", 0, ("y", "z")), {"ignored": 7}),
]


@pytest.mark.parametrize(("args", "kwargs"), ARGS)
def test_made_like_a_frozen_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ours, theirs = _pair()
    a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
    names = [f.name for f in dataclasses.fields(theirs)]
    assert [getattr(a, n) for n in names] == [getattr(b, n) for n in names]
    assert repr(a) == repr(b)
    assert hash(a) == hash(b)
    assert a.double == b.double
    assert ours.__match_args__ == theirs.__match_args__
    assert ours.__doc__ == "A value."


def test_equality_and_hash_follow_compare() -> None:
    ours, _ = _pair()
    a = ours("a", ignored=1)
    assert a == ours("a", ignored=2)
    assert hash(a) == hash(ours("a", ignored=2))
    assert a != ours("a", hidden="other")
    assert a != ours("b")
    assert (a == ("a",)) is False  # another type is never equal
    assert a.__eq__(object()) is NotImplemented


def test_each_instance_gets_its_own_factory_value() -> None:
    ours, _ = _pair()
    first, second = ours("a"), ours("a")
    assert first.notes == [] and first.notes is not second.notes


@pytest.mark.parametrize(("x", "y"), [(("a",), ("b",)), (("a", 2), ("a", 1)), (("a",), ("a",))])
def test_order_like_a_dataclass(x: tuple[Any, ...], y: tuple[Any, ...]) -> None:
    ours, theirs = _pair(order=True)
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        assert getattr(ours(*x), op)(ours(*y)) == getattr(theirs(*x), op)(theirs(*y)), op
    assert sorted([ours("b"), ours("a", 3), ours("a")]) == [ours("a"), ours("a", 3), ours("b")]
    with pytest.raises(TypeError):
        _ = ours("a") < theirs("a")


def test_without_order_there_is_none() -> None:
    ours, _ = _pair()
    with pytest.raises(TypeError):
        _ = ours("a") < ours("b")


def test_a_field_cannot_be_assigned_or_deleted() -> None:
    ours, _ = _pair()
    value = ours("a")
    with pytest.raises(FrozenInstanceError):
        value.name = "b"
    with pytest.raises(AttributeError):
        value.count = 2
    with pytest.raises(FrozenInstanceError):
        del value.name
    with pytest.raises(FrozenInstanceError):
        value.other = 1
    assert value.name == "a" and value.count == 1


def test_the_constructor_checks_its_arguments_like_a_dataclass() -> None:
    ours, theirs = _pair()
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),
        (("a", 1, (), [], "h", 0, "extra"), {}),
        (("a",), {"unknown": 1}),
    ]
    for args, kwargs in cases:
        with pytest.raises(TypeError):
            theirs(*args, **kwargs)
        with pytest.raises(TypeError):
            ours(*args, **kwargs)


def test_replace_is_dataclasses_replace() -> None:
    ours, theirs = _pair()
    a, b = ours("a", 2, ignored=3), theirs("a", 2, ignored=3)
    assert repr(replace(a, count=5)) == repr(dataclasses.replace(b, count=5))
    assert replace(a, count=5).ignored == 3 and a.count == 2
    with pytest.raises(TypeError):
        replace(a, unknown=1)


def test_a_cached_property_and_copies_work() -> None:
    @frozen
    class Lazy:
        text: str

        @cached_property
        def size(self) -> int:
            return len(self.text)

    value = Lazy("abc")
    assert value.size == 3 and value.size == 3
    assert copy.deepcopy(value) == value and copy.copy(value) == value


def test_an_exception_can_be_a_frozen_value() -> None:
    @frozen
    class Problem(Exception):
        code: str
        message: str

    with pytest.raises(Problem) as caught:
        raise Problem("c", "m") from None
    assert (caught.value.code, caught.value.message) == ("c", "m")
    assert caught.value == Problem("c", "m")


def test_what_frozen_cannot_make_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default"):

        @frozen
        class Late:
            a: int = 1
            b: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="defines __eq__"):

        @frozen
        class Own:
            a: int

            def __eq__(self, other: object) -> bool:
                return True

            __hash__ = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match="ClassVar"):

        @frozen
        class Counted:
            a: int
            made: ClassVar[int] = 0

    @frozen
    class Base:
        a: int

    with pytest.raises(TypeError, match="inherit"):

        @frozen
        class Child(Base):
            b: int


@pytest.mark.parametrize("first", ["repr", "eq", "ne", "hash", "lt", "ge"])
def test_whichever_method_is_called_first_answers_as_the_dataclass(first: str) -> None:
    """repr, ==, hash and the comparisons are compiled when one of them is first called."""
    calls: dict[str, Callable[[Any, Any], Any]] = {
        "repr": lambda p, _: repr(p).split("(", 1)[1],
        "eq": operator.eq,
        "ne": operator.ne,
        "hash": lambda p, _: hash(p),
        "lt": operator.lt,
        "ge": operator.ge,
    }
    ours, theirs = _pair(order=True)
    a, b, x, y = ours("a", 2), ours("b"), theirs("a", 2), theirs("b")
    for name in [first, *calls]:
        assert calls[name](a, b) == calls[name](x, y), name
        assert calls[name](b, a) == calls[name](y, x), name


def test_a_frozen_value_takes_no_more_memory_than_the_frozen_dataclass() -> None:
    """Its fields stay in the object, as a frozen dataclass's do (CPython 3.11+ makes a dict of
    them once `__dict__` is read, ~64 bytes more each): render --all 5000x200 keeps millions."""

    def used(make: Any) -> int:
        tracemalloc.start()
        kept = [make(str(i)) for i in range(2000)]
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(kept) == 2000
        return size

    ours, theirs = _pair()
    assert used(ours) <= used(theirs) * 1.05
