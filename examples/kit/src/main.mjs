import { fileURLToPath } from 'node:url';
import { parseFlags, usage } from './cli.mjs';
import { runExperiment } from './experiment.mjs';

/**
 * An example's `main(argv, log)`: parses the shared flags (with the example's
 * `defaults`), prints usage for --help, else runs the experiment `spec(flags)`.
 */
export function exampleMain(pkg, defaults, spec) {
  return async (argv, log) => {
    const flags = parseFlags(argv, defaults);
    if (flags.help) {
      console.log(usage(pkg, defaults.strategies));
      return null;
    }
    return runExperiment({ ...spec(flags), flags, log });
  };
}

/** Runs `main` with the process arguments when `meta` is the entry script. */
export function runIfEntry(meta, main) {
  if (process.argv[1] !== fileURLToPath(meta.url)) return;
  main(process.argv.slice(2)).catch((e) => {
    console.error(e.message ?? e);
    process.exitCode = 1;
  });
}
