"""Frozen value classes: what `@dataclass(frozen=True)` makes, at a fraction of its start-up cost.

`@frozen` (or `@frozen(order=True)`) gives a class the methods a frozen dataclass has: the
same `__init__` (defaults, `field(default_factory=...)`), `__repr__`, `__eq__` and `__hash__`
over the fields `compare` keeps, the comparisons with `order=True`, and a field that cannot
be assigned or deleted (`FrozenInstanceError`, an AttributeError). `replace` is
`dataclasses.replace`. Only what the package uses: no inheritance of fields, no `ClassVar`.

Why not dataclasses on the path of every command: importing it imports `inspect` (with
ast, dis and tokenize, ~6 ms), and it compiles each method of each class apart (~0.45 ms a
class, about two dozen on `validate`'s path): together a third of a cold `validate`
beyond the interpreter and ruamel (issue 26). Here a class's `__init__` is one small compile,
and its repr, ==, hash and comparisons another, made when one of them is first called.
tests/model/test_frozen.py holds the classes made here to what dataclasses makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda decorator: decorator


T = TypeVar("T")
_MISSING: Any = object()  # no default given


class FrozenInstanceError(AttributeError):
    """A field of a frozen value was assigned or deleted."""


class _Field:
    __slots__ = ("compare", "default", "factory", "repr")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, compare: bool, repr: bool) -> None:
        self.default, self.factory, self.compare, self.repr = default, factory, compare, repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """A field with a default, a default made per instance, or left out of ==, hash or repr."""
    return _Field(default, default_factory, compare, repr)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T] | None = None, /, *, order: bool = False) -> Any:
    """Make `cls` a frozen value class (see the module's docstring)."""

    def made(c: type[T]) -> type[T]:
        return _make(c, order)

    return made if cls is None else made(cls)


def replace(value: T, /, **changes: Any) -> T:
    """A copy of `value` with `changes` (dataclasses.replace)."""
    for name in type(value).__frozen_fields__:  # type: ignore[attr-defined]
        if name not in changes:
            changes[name] = getattr(value, name)
    return type(value)(**changes)


def _make(cls: type[T], order: bool) -> type[T]:
    fields = _fields(cls)
    namespace: dict[str, Any] = {"_MISSING": _MISSING, "_setattr": object.__setattr__}
    exec(_init(fields, namespace), namespace)  # source made of the class's own field names
    # The other methods are compiled when one of them is first called: most classes are never
    # compared, hashed or shown in a run, and compiling them was two thirds of making a class.
    methods = {"__init__": namespace["__init__"], "__setattr__": _no_setattr, "__delattr__": _no_delattr}
    methods.update({name: _on_first_call(cls, name, fields, order) for name in ("__repr__", "__eq__", "__hash__")})
    methods.update({name: _on_first_call(cls, name, fields, order) for name in (_ORDER if order else ())})
    for name, method in methods.items():
        if name in cls.__dict__:
            raise TypeError(f"{cls.__qualname__} defines {name}, which @frozen makes")
        setattr(cls, name, method)
    cls.__init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__frozen_fields__ = tuple(fields)  # type: ignore[attr-defined]
    cls.__match_args__ = tuple(fields)  # type: ignore[attr-defined,misc]
    return cls


def _no_setattr(self: object, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _no_delattr(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _on_first_call(cls: type, name: str, fields: dict[str, _Field], order: bool) -> Callable[..., Any]:
    """A stand-in for method `name` that compiles the compared and shown methods of `cls`, then calls it."""

    def first_call(self: Any, *args: Any) -> Any:
        if cls.__dict__[name] is first_call:  # else compiled already
            namespace: dict[str, Any] = {}
            exec(_compared(fields, order), namespace)
            for made in ("__repr__", "__eq__", "__hash__", *(_ORDER if order else ())):
                namespace[made].__qualname__ = f"{cls.__qualname__}.{made}"
                setattr(cls, made, namespace[made])
        return cls.__dict__[name](self, *args)

    return first_call


def _fields(cls: type) -> dict[str, _Field]:
    """The fields in the order the class declares them; a plain default becomes a class attribute."""
    if any(hasattr(base, "__frozen_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__qualname__}: @frozen classes do not inherit fields")
    found: dict[str, _Field] = {}
    for name, annotation in cls.__annotations__.items():  # the class's own (Python 3.10 and later)
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            raise TypeError(f"{cls.__qualname__}.{name}: @frozen classes have no ClassVar")
        declared = cls.__dict__.get(name, _MISSING)
        found[name] = declared if isinstance(declared, _Field) else _Field(declared, None, True, True)
        if found[name].factory is not None:
            delattr(cls, name)
        elif found[name].default is not _MISSING:
            setattr(cls, name, found[name].default)
    return found


def _init(fields: dict[str, _Field], namespace: dict[str, Any]) -> str:
    params, body, defaulted = [], [], False
    for name, f in fields.items():
        if f.factory is not None:
            namespace[f"_factory_{name}"] = f.factory
            params.append(f"{name}=_MISSING")
            body.append(f" _setattr(self, {name!r}, _factory_{name}() if {name} is _MISSING else {name})")
        else:
            if f.default is not _MISSING:
                namespace[f"_default_{name}"] = f.default
            elif defaulted:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            params.append(name if f.default is _MISSING else f"{name}=_default_{name}")
            body.append(f" _setattr(self, {name!r}, {name})")
        defaulted = defaulted or f.factory is not None or f.default is not _MISSING
    # object.__setattr__, as a frozen dataclass stores its fields: the values stay in the object
    # (CPython 3.11+), where reading self.__dict__ would make each object a dict (~64 bytes more).
    return "\n".join([f"def __init__(self, {', '.join(params)}):", *body])


_ORDER = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}


def _compared(fields: dict[str, _Field], order: bool) -> str:
    """The source of __repr__, __eq__, __hash__ and with `order` the comparisons, as dataclasses writes them."""
    compared = [n for n, f in fields.items() if f.compare]
    mine = "".join(f"self.{n}," for n in compared)
    theirs = "".join(f"other.{n}," for n in compared)
    shown = ", ".join(f"{n}={{self.{n}!r}}" for n, f in fields.items() if f.repr)
    source = [f'def __repr__(self):\n return f"{{self.__class__.__qualname__}}({shown})"']
    source += [
        f"def {method}(self, other):\n if other.__class__ is self.__class__:\n"
        f"  return ({mine}) {op} ({theirs})\n return NotImplemented"
        for method, op in {"__eq__": "==", **(_ORDER if order else {})}.items()
    ]
    return "\n".join([*source, f"def __hash__(self):\n return hash(({mine}))"])
