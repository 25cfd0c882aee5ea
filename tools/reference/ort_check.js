// Cross-checks an ONNX model with ONNX Runtime (npm onnxruntime-node, CPU): runs it on .npy inputs and compares the
// outputs with expected .npy files. Optional; not part of the test run.
//
//   mkdir -p /tmp/ortnode && cd /tmp/ortnode && npm init -y && npm install --ignore-scripts onnxruntime-node@1.30.0
//   NODE_PATH=/tmp/ortnode/node_modules node tools/reference/ort_check.js MODEL.onnx \
//       --input input=x.npy --expect output=y.npy [--rtol 1e-4] [--atol 1e-5]
//
// Prints one JSON line {model, ok, outputs: [{name, shape, maxAbs, maxRel, ok}]}; exit status 0 when every output is
// within atol + rtol·|expected| (numpy.allclose), 1 otherwise, 2 on bad usage.
'use strict';
const fs = require('fs');
const path = require('path');

function requireOrt() {
  for (const t of ['onnxruntime-node', '/tmp/ortnode/node_modules/onnxruntime-node']) {
    try { return require(t); } catch (e) { /* next */ }
  }
  console.error('onnxruntime-node not found: install it under /tmp/ortnode (see the header) or set NODE_PATH');
  process.exit(2);
}

// .npy (format 1.0-3.0), little-endian C-order arrays of float32/float64/int64/int32/uint8/bool.
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s.length).map(Number);
  const data = b.subarray(start + headerLen);
  const copy = (Ctor) => { const n = data.byteLength / Ctor.BYTES_PER_ELEMENT; const a = new Ctor(n); Buffer.from(a.buffer).set(data); return a; };
  const kinds = {
    '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '<i8': ['int64', BigInt64Array],
    '<i4': ['int32', Int32Array], '|u1': ['uint8', Uint8Array], '|b1': ['bool', Uint8Array],
  };
  if (!kinds[descr]) throw new Error(`${file}: dtype ${descr} is not supported`);
  const [type, Ctor] = kinds[descr];
  return { type, shape, data: copy(Ctor) };
}

function parseArgs(argv) {
  const a = { model: null, inputs: {}, expect: {}, rtol: 1e-4, atol: 1e-5 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--input' || k === '--expect') {
      const [name, file] = argv[++i].split('=');
      (k === '--input' ? a.inputs : a.expect)[name] = file;
    } else if (k === '--rtol') a.rtol = Number(argv[++i]);
    else if (k === '--atol') a.atol = Number(argv[++i]);
    else if (!a.model) a.model = k;
    else throw new Error(`unexpected argument ${k}`);
  }
  if (!a.model || Object.keys(a.inputs).length === 0) throw new Error('usage: ort_check.js MODEL.onnx --input NAME=FILE.npy ... --expect NAME=FILE.npy ...');
  return a;
}

async function main() {
  let args;
  try { args = parseArgs(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(2); }
  const ort = requireOrt();
  const session = await ort.InferenceSession.create(args.model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const feeds = {};
  for (const [name, file] of Object.entries(args.inputs)) {
    const x = readNpy(file);
    feeds[name] = new ort.Tensor(x.type, x.data, x.shape);
  }
  const results = await session.run(feeds);
  const report = { model: path.basename(args.model), ort: ort.env.versions ? ort.env.versions.common : 'unknown', ok: true, outputs: [] };
  for (const [name, file] of Object.entries(args.expect)) {
    const e = readNpy(file);
    const y = results[name];
    if (!y) throw new Error(`model has no output '${name}' (outputs: ${session.outputNames.join(', ')})`);
    const sameShape = y.dims.length === e.shape.length && y.dims.every((d, i) => d === e.shape[i]);
    let maxAbs = 0, maxRel = 0, ok = sameShape;
    for (let i = 0; sameShape && i < e.data.length; i++) {
      const ev = Number(e.data[i]), yv = Number(y.data[i]);
      const d = Math.abs(ev - yv);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(Math.abs(ev), 1e-30));
      if (!(d <= args.atol + args.rtol * Math.abs(ev))) ok = false;
    }
    report.outputs.push({ name, shape: y.dims, expectedShape: e.shape, maxAbs, maxRel, ok });
    report.ok = report.ok && ok;
  }
  console.log(JSON.stringify(report));
  process.exit(report.ok ? 0 : 1);
}

main().catch(e => { console.error(e.stack || String(e)); process.exit(2); });
