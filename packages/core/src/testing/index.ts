/**
 * `@advtrain/core/testing`: the conformance kit, tiny deterministic fixtures
 * and float-aware assertions. It depends on no test runner.
 */
export { conformanceCases, type ConformanceCase, type ConformanceSpec } from './conformance.js';
export {
  disposeBatch, embeddingFixture, formulaValues, linearFixture, makeFixture, mlpFixture,
  type Fixture, type FixtureName,
} from './fixtures.js';
export { cleanReplays, selfSteppingClean } from './strategies.js';
export {
  ConformanceError, backendTolerance, check, expectClose, expectIdentical, liveTensors, relativeError, values,
} from './assertions.js';
