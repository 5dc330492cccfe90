"""A demo county written as a county office's input files (演示数据, generated, not real).

The county is modelled on Jalaid Banner (扎赉特旗, 152223, Inner Mongolia): about 11,000 km2,
elongated north-west to south-east, 10 townships, 197 villages (村 / 嘎查) and 11 urban communities
(社区) split into 973 grids. ``generate_demo`` writes, in the formats of the data contract and with
its Chinese headers:

- a GeoPackage of grids (layer ``grids``, EPSG:4326);
- one UTF-8 (BOM) CSV per monthly snapshot, oldest first: by default (``layout="national"``) the
  national system's export, a row per family member under two title rows, placed by the names
  of county, township and village; with ``layout="households"`` a row per household with its
  网格编码 (the data contract's layout);
- (national layout) the grid system's assignment table 户编号 -> 网格编码, a few households left
  out (未分配网格);
- a CSV of resettlement sites (易地扶贫搬迁安置点) and one of department warnings;
- a JSON summary of what was generated.

Everything is drawn from one ``numpy`` generator seeded by ``seed``, in a fixed order, and the
members, the planted problems, the warnings and the assignment from generators of their own
(``[seed, k]``): the same seed gives byte-identical files, and both layouts hold the same
households and figures. Names, ID numbers and telephone numbers are random: ID numbers carry a
valid GB 11643 check digit but belong to no one.

The generator is split by job: ``parameters`` (the county's figures), ``names`` and
``personal_numbers`` (invented names, ID and telephone numbers), ``km_frame`` and ``tiling`` (the
kilometre frame and the exact partition of the county), ``apportion``, ``geography`` (townships,
villages, grids), ``sites`` (resettlement), ``population``, ``incomes``, ``monitoring``,
``months``, ``snapshots``, ``members`` (the families), ``planted`` (the problems of a county's
list, planted in the monitored households), ``national`` (the member-level export and the
assignment table), ``signals`` (department warnings), ``files``, ``summary`` and ``generate``
(the order of the draws).
"""

from __future__ import annotations

from .generate import DemoFiles, generate_demo
from .geography import Geography, build_geography
from .tiling import _partition

# the names the CLI, the tests and the benchmarks reach through ``etl.demo``
__all__ = ["DemoFiles", "Geography", "_partition", "build_geography", "generate_demo"]
