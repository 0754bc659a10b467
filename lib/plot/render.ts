// A Vega-Lite spec to SVG (vega, headless: no browser, no canvas) and SVG to PNG
// (@resvg/resvg-js, prebuilt Rust binaries inside the npm package: no system graphics
// libraries). resvg draws text only with a font file it is given: DejaVu Sans from Debian's
// fonts-dejavu-core (scripts/install.sh, the --plot-font default in lib/config/stages.ts);
// without it, whatever sans-serif the system has.
import { existsSync } from 'node:fs';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { renderAsync } from '@resvg/resvg-js';

export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderPng(spec: TopLevelSpec, fontFile: string): Promise<Buffer> {
  const svg = await specToSvg(spec);
  const font = existsSync(fontFile)
    ? { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' }
    : { loadSystemFonts: true, defaultFontFamily: 'sans-serif' };
  // Rasterised on libuv's thread pool: a sink redrawing its plots keeps consuming meanwhile
  // (drawn on the event loop, the redraws took a third of the sink's time in the Kafka bench).
  return (await renderAsync(svg, { font, background: 'white' })).asPng();
}
