#!/usr/bin/env node
// Runs an ONNX model in ONNX Runtime (CPU EP, one thread, all graph optimizations unless
// --no-optimize) on a float32 .npy input and writes each output as a float32 .npy:
//   node run-ort.js [--no-optimize] <model.onnx> <input.npy> <output.npy>
// Further outputs go to <output>_1.npy, <output>_2.npy... The model must have one input.
// Used by tests/cli/qdq_matches_ort.sh and scripts/qdq-ort.sh to check Tessera's QDQ export
// (tessera export-qdq) against ONNX Runtime. .npy: format 1.0-3.0, little-endian, C order.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpyFloat32(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not an .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) throw new Error(`${path}: malformed .npy header`);
  if (descr[1] !== '<f4') throw new Error(`${path}: holds ${descr[1]}, expected float32 ('<f4')`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (buf.length - offset < count * 4) throw new Error(`${path}: truncated (${count} floats expected)`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(offset + 4 * i);
  return { dims, data };
}

function writeNpyFloat32(path, dims, data) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) body.writeFloatLE(data[i], 4 * i);
  const tmp = `${path}.tmp${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, path);
}

function outputPath(base, index) {
  if (index === 0) return base;
  return `${base.endsWith('.npy') ? base.slice(0, -4) : base}_${index}.npy`;
}

async function main() {
  const args = process.argv.slice(2);
  const optimize = args[0] !== '--no-optimize';
  if (!optimize) args.shift();
  if (args.length !== 3) {
    console.error('usage: node run-ort.js [--no-optimize] <model.onnx> <input.npy> <output.npy>');
    process.exit(2);
  }
  const [modelPath, inputPath, outPath] = args;
  const input = readNpyFloat32(inputPath);
  const sess = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: optimize ? 'all' : 'disabled',
  });
  if (sess.inputNames.length !== 1) throw new Error(`${modelPath}: has ${sess.inputNames.length} inputs; one expected`);
  const results = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', input.data, input.dims) });
  sess.outputNames.forEach((name, i) => {
    const t = results[name];
    if (t.type !== 'float32') throw new Error(`output '${name}' is ${t.type}; only float32 outputs are written`);
    writeNpyFloat32(outputPath(outPath, i), t.dims, t.data);
    console.log(`output '${name}': float32[${t.dims.join(',')}] written to ${outputPath(outPath, i)}`);
  });
  await sess.release();
}

main().catch((e) => { console.error('run-ort:', e.message || e); process.exit(1); });
