"""Compile an endpoint's optional sections that are data, not matching: `continuation:` and
`placeholder:` (each at the adapter's top level or per endpoint, `none` opting out), and an
item shape's `format:` and `relation:` (per find entry, endpoint or adapter).

A mixin of the adapter compiler (feedlens.adapters._Compiler), which provides `source`,
`errors` and `expr`."""

from __future__ import annotations

from .choice import ChoiceRule, CounterfactualSpec, compile_choice, compile_counterfactual
from .continuations import ContinuationSpec
from .item_format import Facet, compile_facet, undeclared
from .jmes import path_steps
from .placeholder import PlaceholderSpec


class SectionCompiler:
    def section(self, spec: dict, where: tuple, key: str) -> tuple[dict | None, tuple]:
        """The endpoint's section `key`, else the adapter's, with where it is; None when absent
        or `none` (the endpoint opts out)."""
        if key in spec:
            data, where = spec[key], where + (key,)
        else:
            data, where = self.source.data.get(key), (key,)
        return (data if isinstance(data, dict) else None), where

    def continuation(self, spec: dict, where: tuple) -> ContinuationSpec | None:
        data, where = self.section(spec, where, "continuation")
        if data is None:
            return None
        issued = self.expr(data["issued"], where + ("issued",))
        token = self.expr(data["token"], where + ("token",))
        if issued is None or token is None:
            return None
        return ContinuationSpec(issued, token, data.get("find"))

    def placeholder(self, spec: dict, where: tuple) -> PlaceholderSpec | None:
        data, where = self.section(spec, where, "placeholder")
        if data is None:
            return None
        return PlaceholderSpec(
            set=tuple((steps, value) for text, value in data.get("set", {}).items()
                      if (steps := self.item_path(text, where + ("set", text))) is not None),
            drop=tuple(steps for text in data.get("drop", [])
                       if (steps := self.item_path(text, where + ("drop",))) is not None),
            when=self.expr(data["when"], where + ("when",)) if "when" in data else None)

    def item_path(self, text: str, where: tuple) -> tuple | None:
        """A pure path inside an item (`a.b[0].c`), as steps; anything else is an error."""
        compiled = self.expr(text, where)
        steps = path_steps(compiled.ast) if compiled is not None else None
        if compiled is not None and not steps:
            self.errors.append(self.source.at(where, f"{text!r} is not a plain path (names and [N] only)"))
        return tuple(steps) if steps else None

    def facet(self, name: str, spec: dict, where: tuple, outer: dict | None) -> Facet:
        """The shape's `format`/`relation`: its own, else its endpoint's (`outer`), else the
        adapter's top-level one, else unknown (tests/test_format_fixtures.py keeps that unused)."""
        for data, spot in ((spec, where), (outer or {}, where[:2]), (self.source.data, ())):
            if name in data:
                return compile_facet(name, data[name], self.expr,
                                     lambda at, text: self.errors.append(self.source.at(at, text)),
                                     spot + (name,))
        return undeclared()

    def choice(self, endpoints: list) -> list[ChoiceRule]:
        """The adapter's `choice:` section: where its personalisation switch shows (choice.py)."""
        return compile_choice(self.source.data.get("choice"), self.source.data["platform"], endpoints,
                              self.expr, lambda at, text: self.errors.append(self.source.at(at, text)))

    def counterfactual(self, endpoints: list) -> CounterfactualSpec | None:
        """`choice.counterfactual`: the endpoints the opt-in paired fetch may repeat."""
        return compile_counterfactual(self.source.data.get("choice"), endpoints,
                                      lambda at, text: self.errors.append(self.source.at(at, text)))
