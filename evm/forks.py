"""Ethereum hard forks known to cyevm, in activation order.

``Fork`` is an ``IntEnum`` so rules can be written as ``fork >= Fork.BERLIN``.
The names follow the execution specs; :data:`FIXTURE_NAMES` maps the names used
by the ethereum/tests and execution-spec-tests fixtures (and accepted by the
CLI) onto them.
"""
from __future__ import annotations

from enum import IntEnum

__all__ = ["Fork", "FIXTURE_NAMES", "fork_from_name"]


class Fork(IntEnum):
    """A hard fork; later forks compare greater."""

    FRONTIER = 0
    HOMESTEAD = 1
    TANGERINE_WHISTLE = 2  # EIP-150
    SPURIOUS_DRAGON = 3  # EIP-155/158/160/161/170
    BYZANTIUM = 4
    CONSTANTINOPLE = 5
    PETERSBURG = 6  # "ConstantinopleFix" in the fixtures
    ISTANBUL = 7
    BERLIN = 8
    LONDON = 9
    PARIS = 10
    SHANGHAI = 11
    CANCUN = 12
    PRAGUE = 13
    OSAKA = 14

    @property
    def fixture_name(self) -> str:
        """The name the state-test fixtures use for this fork."""
        return _CANONICAL[self]


_CANONICAL = {
    Fork.FRONTIER: "Frontier",
    Fork.HOMESTEAD: "Homestead",
    Fork.TANGERINE_WHISTLE: "EIP150",
    Fork.SPURIOUS_DRAGON: "EIP158",
    Fork.BYZANTIUM: "Byzantium",
    Fork.CONSTANTINOPLE: "Constantinople",
    Fork.PETERSBURG: "ConstantinopleFix",
    Fork.ISTANBUL: "Istanbul",
    Fork.BERLIN: "Berlin",
    Fork.LONDON: "London",
    Fork.PARIS: "Paris",
    Fork.SHANGHAI: "Shanghai",
    Fork.CANCUN: "Cancun",
    Fork.PRAGUE: "Prague",
    Fork.OSAKA: "Osaka",
}

#: Fixture / CLI fork name -> Fork (aliases included, matched case-insensitively
#: by :func:`fork_from_name`).
FIXTURE_NAMES: dict[str, Fork] = {v: k for k, v in _CANONICAL.items()}
FIXTURE_NAMES.update(
    {
        "TangerineWhistle": Fork.TANGERINE_WHISTLE,
        "SpuriousDragon": Fork.SPURIOUS_DRAGON,
        "Petersburg": Fork.PETERSBURG,
        "Merge": Fork.PARIS,
    }
)
_LOWER = {k.lower(): v for k, v in FIXTURE_NAMES.items()}
_LOWER.update({f.name.lower(): f for f in Fork})


def fork_from_name(name: str) -> Fork:
    """Return the :class:`Fork` called ``name`` (fixture or spec spelling).

    Raises ``ValueError`` naming the known forks if ``name`` is unknown.
    """
    try:
        return _LOWER[name.strip().lower()]
    except KeyError:
        known = ", ".join(_CANONICAL.values())
        raise ValueError(f"unknown fork {name!r} (known: {known})") from None
