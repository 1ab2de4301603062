"""Bundled real sample data for demos, tests and benchmarks.

The sample set is Tux Paint's stamp collection, as packaged by Debian
(``tuxpaint-stamps-default``, GPL-2, © 2002-2022 Bill Kendrick and contributors): clip-art
images, one-line English descriptions, spoken descriptions and real sound effects, grouped into
16 categories. mmwidgets reads it where Debian installs it and ships none of it.
"""

from __future__ import annotations

from mmwidgets.datasets._tuxpaint import SAMPLE_LICENSE, SampleDataMissingError, load_sample

__all__ = ["SAMPLE_LICENSE", "SampleDataMissingError", "load_sample"]
