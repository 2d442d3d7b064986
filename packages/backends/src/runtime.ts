/** Whether this code runs in Node (and not in a browser or a web worker). */
export const isNode = (): boolean => typeof globalThis.process?.versions?.node === 'string';
