"""What one run of the Pulumi program under mocks declared: the resources with their inputs,
outputs, parents and dependencies, the exports, the provider calls and the warnings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recorded:
    """One resource the program declared, as the engine would have seen it."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str
    dependencies: list[str]
    custom: bool
    secret_inputs: set[str]


@dataclass
class Program:
    """What one run of the program declared, exported, called and logged."""

    resources: list[Recorded] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Recorded]:
        """All resources of one type token, e.g. `aws:s3/bucket:Bucket`."""
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Recorded:
        """The single resource of a type (and name), failing if there are none or several."""
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Recorded:
        """The resource with this URN."""
        return next(r for r in self.resources if r.urn == urn)
