export { parseFlags, usage } from './cli.mjs';
export { runExperiment } from './experiment.mjs';
export { renderReport } from './report.mjs';
export { esc, linePlot } from './svg.mjs';
export { exampleMain, runIfEntry } from './main.mjs';
