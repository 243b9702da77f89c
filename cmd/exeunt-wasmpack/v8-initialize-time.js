// v8-initialize-time.js: what one VM start costs a module in V8 past compilation: the time
// of `new WebAssembly.Instance` and of its `_initialize` export (for build/exeunt.wasm: the
// data's LZMA decoding, the findfunctab loop, then Go's runtime initialisation), each module
// in a fresh node process compiled as Envoy's V8 compiles (--no-liftoff
// --no-wasm-lazy-compilation), RUNS times (default 5), medians in milliseconds.
//
//   node cmd/exeunt-wasmpack/v8-initialize-time.js BEFORE.wasm build/exeunt.wasm
//
// Every import is a stub that returns 0 (WASI's "success"), except WASI's clock_time_get,
// which writes a growing time (Go's runtime refuses a clock at zero), and fd_prestat_get,
// which answers EBADF (no preopened directory; else Go asks for the next forever): what is
// timed is the module's own code.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');

const runs = Number(process.env.RUNS || 5);
const child = `
const m = new WebAssembly.Module(require('fs').readFileSync(process.argv[1]));
const imports = {};
for (const i of WebAssembly.Module.imports(m)) {
  if (i.kind !== 'function') throw new Error('import ' + i.module + '.' + i.name + ' is a ' + i.kind);
  (imports[i.module] ||= {})[i.name] = () => 0;
}
let inst, clock = 1000000000n;
imports.wasi_snapshot_preview1.clock_time_get = (id, precision, at) => {
  new DataView(inst.exports.memory.buffer).setBigUint64(at, clock += 1000n, true);
  return 0;
};
imports.wasi_snapshot_preview1.fd_prestat_get = () => 8; // EBADF
let t = process.hrtime.bigint();
inst = new WebAssembly.Instance(m, imports);
const instMs = Number(process.hrtime.bigint() - t) / 1e6;
t = process.hrtime.bigint();
inst.exports._initialize();
const initMs = Number(process.hrtime.bigint() - t) / 1e6;
process.stdout.write(instMs + ' ' + initMs);
`;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node v8-initialize-time.js FILE.wasm...');
  process.exit(2);
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const inst = files.map(() => []), init = files.map(() => []);
for (let r = 0; r < runs; r++) {
  files.forEach((f, i) => { // alternating, so a noisy machine slows all alike
    const [a, b] = execFileSync(process.execPath, ['--no-liftoff', '--no-wasm-lazy-compilation', '-e', child, f])
      .toString().split(' ').map(Number);
    inst[i].push(a);
    init[i].push(b);
  });
}
files.forEach((f, i) => {
  console.log(`${f}\t${fs.statSync(f).size} bytes\tInstance median ${median(inst[i]).toFixed(2)} ms\t_initialize median ${median(init[i]).toFixed(2)} ms\t(${runs} runs)`);
});
