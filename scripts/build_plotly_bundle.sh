#!/usr/bin/env bash
# Builds dashboard/vendor/plotly-riskgrid.min.js: plotly.js with only the trace types riskgrid
# draws (scatter, bar, scattermap, choroplethmap), 3.1 MB against 4.8 MB for the full bundle,
# parsed and run in about a third of the time (benchmarks/bench_page_load.py).
#
# A build-time step for a developer with the npm registry (never run at run time or in CI: the
# bundle is committed). Uses plotly.js's own sources and its esbuild plugins, as its
# CUSTOM_BUNDLE.md does. Add a trace type here and to TRACES in dashboard/plotly_bundle.py.
#
#     scripts/build_plotly_bundle.sh [PLOTLY_JS_VERSION]
set -euo pipefail
VERSION="${1:-4.1.1}"
TRACES=(bar scattermap choroplethmap)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/dashboard/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack "plotly.js@$VERSION" --silent >/dev/null
tar xzf "plotly.js-$VERSION.tgz"
cd package
npm install --omit=dev --ignore-scripts --no-audit --no-fund --silent
npm install --no-save --ignore-scripts --no-audit --no-fund --silent \
  esbuild@0.28 esbuild-plugin-glsl@1.4.2 esbuild-plugin-inline-css@0.0.1 \
  esbuild-plugin-environment@0.5.0
{
  echo "'use strict';"
  echo "var Plotly = require('./core');"
  printf "Plotly.register(["
  for t in "${TRACES[@]}"; do printf "require('./%s'), " "$t"; done
  echo "]);"
  # Plotly.prewarmMap(): MapLibre's worker started before the first map is made (riskgrid.js
  # calls it as soon as plotly.js has run), so its start overlaps the page's layout and render
  # instead of following them. The same module and worker source as plotly's map subplot.
  cat <<'JS'
var maplibregl = require('maplibre-gl/dist/maplibre-gl.mjs');
var workerSource = require('../build/maplibre_worker');
Plotly.prewarmMap = function () {
    if (Plotly.prewarmMap.done) return;
    Plotly.prewarmMap.done = true;
    maplibregl.setWorkerUrl(URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' })));
    maplibregl.prewarm();
};
module.exports = Plotly;
JS
} > lib/index-riskgrid.js
cat > build-riskgrid.js <<'JS'
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
// the options of plotly.js's esbuild-config.js, minified, with the licences kept at the end
esbuild.build({
  entryPoints: ['./lib/index-riskgrid.js'], outfile: process.argv[2],
  format: 'iife', globalName: 'Plotly', bundle: true, minify: true, sourcemap: false,
  plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
  define: { global: 'window', 'define.amd': 'false' }, target: 'es2016', logLevel: 'warning',
  legalComments: 'eof',
});
JS
mkdir -p "$OUT"
{
  printf '/*! plotly.js v%s, partial bundle for riskgrid (traces: scatter %s), MIT licence,\n' "$VERSION" "${TRACES[*]}"
  printf ' *  built by scripts/build_plotly_bundle.sh; licences of the bundled packages at the end */\n'
} > "$OUT/plotly-riskgrid.min.js"
node build-riskgrid.js "$WORK/bundle.js"
cat "$WORK/bundle.js" >> "$OUT/plotly-riskgrid.min.js"
# no address of another host stays in the bundle (a county PC on an intranet reaches none):
# plotly.js's and MapLibre's error-message links, the Chart Studio link, the default topojson,
# basemap, glyph and icon addresses lose their scheme (the XML namespaces of www.w3.org stay)
python3 - "$OUT/plotly-riskgrid.min.js" <<'PY'
import re, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    text = f.read()
text = re.sub(r"https?://(?!www\.w3\.org/)(?=[A-Za-z0-9])", "", text)
with open(path, "w", encoding="utf-8") as f:
    f.write(text)
PY
cp LICENSE "$OUT/plotly.js-LICENSE.txt"
ls -l "$OUT/plotly-riskgrid.min.js"
