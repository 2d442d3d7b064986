export { fgm } from './fgm.js';
export { FGM_DEFAULTS, FGM_SNIPPET_PRESET, resolveFgmOptions, type FgmOptions, type ResolvedFgmOptions } from './options.js';
