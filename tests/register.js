// What every test process loads first (.mocharc.json `require`, tests/runWorker.js): TypeScript through ts-node,
// and a cheaper stack for the Pulumi SDK's own bookkeeping.
//
// The SDK records `new Error().stack` for every promise it makes (@pulumi/pulumi runtime/debuggable.js
// `debuggablePromise`), only to print it if the promise leaks. ts-node's source-map-support formats every such
// stack through source maps, which was a third of a program run under mocks (fleet.test.ts: 9.6 s → 6.5 s
// without it). Those stacks keep V8's plain format; every other stack, a failing test's included, is still
// mapped to the TypeScript source.
require("ts-node/register/transpile-only");
const path = require("path");

const SDK_PROMISE_FILE = path.join("@pulumi", "pulumi", "runtime", "debuggable.js");
const mapped = Error.prepareStackTrace;
Error.prepareStackTrace = (error, frames) => {
    const file = frames[0] && frames[0].getFileName();
    if (file && file.endsWith(SDK_PROMISE_FILE)) return [String(error), ...frames.map(frame => `    at ${frame}`)].join("\n");
    return mapped ? mapped(error, frames) : [String(error), ...frames.map(frame => `    at ${frame}`)].join("\n");
};
