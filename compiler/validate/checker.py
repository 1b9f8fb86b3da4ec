"""The checker the semantic rules share: the model, its documents (for positions), what was found."""

from __future__ import annotations

from collections.abc import Iterable

from compiler.diagnostics import Diagnostic, Location, did_you_mean, error
from compiler.load.documents import Document, YPath
from compiler.model.objects import Model


class Checker:
    """The model, its documents (for positions), and the diagnostics found so far."""

    def __init__(self, model: Model, documents: Iterable[Document], partially_known: set[str]) -> None:
        self.model = model
        self.docs = {d.path: d for d in documents}
        self.found: list[Diagnostic] = []
        self.names = set(model.deployment_names)
        self.partially_known = partially_known

    def at(self, path: str, ypath: YPath, *, key: bool = False) -> Location:
        document = self.docs.get(path)
        return document.locate(ypath, at="key" if key else "value") if document else Location(path)

    def error(self, path: str, ypath: YPath, code: str, message: str, *, key: bool = False) -> None:
        self.found.append(error(self.at(path, ypath, key=key), code, message))

    def unknown_deployment(self, name: str, path: str, ypath: YPath, what: str) -> None:
        if name not in self.names and name not in self.partially_known:
            hint = did_you_mean(name, self.names)
            self.error(
                path, ypath, "unknown-deployment", f"{what} names Deployment '{name}', which does not exist{hint}"
            )
