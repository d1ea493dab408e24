"""One instance class per registered problem (``SplitInstance``, ``CachingInstance``, …), made
from :func:`mei4llm.problems`: ``from_scenario(scenario, **settings)`` builds a
:class:`mei4llm.Instance` of that problem, and ``isinstance`` tells the problem of an
instance."""

from __future__ import annotations

from typing import Any

from . import _core


class InstanceClass(type):
    """The class of the instances of one problem (``cls.problem``)."""

    problem: str

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _core.Instance) and instance.problem == cls.problem


def _class(problem: str, about: str) -> InstanceClass:
    def from_scenario(scenario: Any, **settings: Any) -> _core.Instance:
        return _core.Instance.from_scenario(problem, scenario, **settings)

    from_scenario.__doc__ = (
        f"The `{problem}` instance of `scenario` (a `Scenario`, a scenario file, or a bundled "
        "scenario's name) with the problem's settings as keyword arguments."
    )
    name = problem[:1].upper() + problem[1:] + "Instance"
    namespace = {
        "problem": problem,
        "from_scenario": staticmethod(from_scenario),
        "__doc__": f"Instances of `{problem}`: {about}.",
        "__module__": "mei4llm",
    }
    return InstanceClass(name, (), namespace)


def instance_classes() -> dict[str, InstanceClass]:
    """Every registered problem's instance class, by name."""
    classes = {}
    for p in _core.problems():
        cls = _class(p["name"], p["about"])
        classes[cls.__name__] = cls
    return classes
