// The plot files' names, apart from the rendering code (vega, resvg): the command lines that
// name them in --help load only this.
export const PLOT_FILE = 'anomaly_plot.png';
export const TIMELINE_FILE = 'timeline.png';
export const TOP_SOURCES_FILE = 'top_sources.png';
export const PLOT_FILES = [PLOT_FILE, TIMELINE_FILE, TOP_SOURCES_FILE] as const;
