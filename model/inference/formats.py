"""The interchange formats the network is written in, named without importing pgmpy."""

from __future__ import annotations

from typing import Literal

Format = Literal["bif", "xmlbif"]
FORMATS: tuple[Format, ...] = ("bif", "xmlbif")
