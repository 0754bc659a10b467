// The sink stage's plots (the sink service and the embedded mode): the three PNG files.
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { PlotData } from '../plot/data.ts';
import { renderPng } from '../plot/render.ts';
import { scatterSpec, timelineSpec, topSourcesSpec } from '../plot/specs.ts';
import { writeFileAtomic } from '../output/index.ts';

import { PLOT_FILE, PLOT_FILES, TIMELINE_FILE, TOP_SOURCES_FILE } from '../plot/files.ts';

export { PLOT_FILE, PLOT_FILES, TIMELINE_FILE, TOP_SOURCES_FILE };

/** Each plot file with its spec builder. */
export const PLOTS: ReadonlyArray<[(typeof PLOT_FILES)[number], (d: PlotData) => TopLevelSpec]> = [
  [PLOT_FILE, scatterSpec],
  [TIMELINE_FILE, timelineSpec],
  [TOP_SOURCES_FILE, topSourcesSpec],
];

/**
 * Renders every plot and hands it to `write` (the embedded mode stages the files and
 * renames them into place with the other outputs).
 */
export async function writePlots(data: PlotData, write: (file: string, png: Uint8Array) => void, fontFile: string): Promise<void> {
  for (const [file, spec] of PLOTS) write(file, await renderPng(spec(data), fontFile));
}

/** Each plot written atomically into `dir` (a reader never sees half a picture): the sink. */
export const atomicallyInto = (dir: string) => (file: string, png: Uint8Array) => writeFileAtomic(join(dir, file), png);
