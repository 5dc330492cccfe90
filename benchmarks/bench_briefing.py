"""Briefing benchmark: seconds per briefing image and for a county's whole set.

Prints, at the size asked (1920x1080 by default): the first image (a cold process: font
registration, imports of matplotlib, first reads), then the county image again and each township's
image (warm), the median and worst per image, the whole set (county + its townships) as
``riskgrid brief --children --format png`` writes it, and the same set as one PPTX deck, a PDF and
an HTML map of the county. Targets: 5 s or less per image, 60 s or less for the set. Figures
only, no asserts.

    python benchmarks/bench_briefing.py [--db sqlite:////tmp/rg-main.db] [--unit CODE] [--size 1920x1080]
        [--json PATH]

``--json PATH`` also writes the figures (seconds) for ``benchmarks/compare.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark_figures import Figures, add_option  # noqa: E402

TARGET_IMAGE, TARGET_SET = 5.0, 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:////tmp/rg-main.db")
    parser.add_argument("--unit", default=None, help="County code (default: the first county).")
    parser.add_argument("--size", default="1920x1080")
    add_option(parser)
    args = parser.parse_args()
    figures = Figures("briefing")

    started = time.perf_counter()
    from geodata import Store

    try:
        from reports import briefing
    except ImportError:  # code from before the reports package (compare.py's baseline)
        from dashboard import briefing
    # folium (the HTML map's) is imported with the briefing module in older code and on first
    # use in newer: counted here on both sides, so "HTML map" times the map alone
    import folium  # noqa: F401

    imports = time.perf_counter() - started
    figures.add("import of the briefing module", imports, "s")
    store = Store(args.db)
    size = briefing.parse_size(args.size)
    county = args.unit or store.counties()[0].code
    codes = briefing.brief_units(store, county, children=True)
    month = store.latest_month()
    grids = len(store.map_features("grid", within=county)["features"])
    print(
        f"db {args.db}: county {county}, {len(codes) - 1} townships, {grids} grids, month {month}"
    )
    print(f"size {size[0]}x{size[1]}; import of {briefing.__name__} {imports:.2f} s")

    t0 = time.perf_counter()
    briefing.render_png(store, county, month, size)
    cold = time.perf_counter() - t0
    figures.add("first image (cold)", cold, "s")
    print(f"first image (cold: font registration, first reads)  {cold:6.2f} s")

    per_image: list[float] = []
    for code in codes:
        t0 = time.perf_counter()
        png = briefing.render_png(store, code, month, size)
        seconds = time.perf_counter() - t0
        per_image.append(seconds)
        unit = store.unit(code)
        print(f"  {code} {unit.name:<8} {seconds:6.2f} s  {len(png) / 1e6:5.2f} MB")
    print(
        f"per image: median {statistics.median(per_image):.2f} s, worst {max(per_image):.2f} s "
        f"(target <= {TARGET_IMAGE:.0f} s)"
    )
    figures.add("county image (warm)", per_image[0], "s")
    figures.add("per image, median", statistics.median(per_image), "s")
    figures.add("per image, worst", max(per_image), "s")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        store2 = Store(args.db)  # a fresh store: no cached outlines, like a new command
        t0 = time.perf_counter()
        for code in codes:
            path = out / f"{briefing.file_stem(store2, code, month)}.png"
            path.write_bytes(briefing.render_png(store2, code, month, size))
        whole = time.perf_counter() - t0
        figures.add("whole set (fresh store)", whole, "s")
        print(
            f"whole set ({len(codes)} images, fresh store): {whole:.2f} s "
            f"(target <= {TARGET_SET:.0f} s)"
        )
        t0 = time.perf_counter()
        deck = briefing.render_pptx(store, codes, month, size)
        seconds = time.perf_counter() - t0
        figures.add("PPTX deck of the set", seconds, "s")
        print(f"PPTX deck of the set: {seconds:.2f} s, {len(deck) / 1e6:.1f} MB")
    t0 = time.perf_counter()
    pdf = briefing.render_pdf(store, county, month, size)
    seconds = time.perf_counter() - t0
    figures.add("PDF of the county", seconds, "s")
    print(f"PDF of the county: {seconds:.2f} s, {len(pdf) / 1e6:.2f} MB")
    t0 = time.perf_counter()
    page = briefing.render_html(store, county, month)
    seconds = time.perf_counter() - t0
    figures.add("HTML map of the county", seconds, "s")
    print(f"HTML map of the county: {seconds:.2f} s, {len(page.encode()) / 1e6:.2f} MB")
    store.dispose()
    figures.write(args.json)


if __name__ == "__main__":
    main()
