#!/usr/bin/env node
// Times models in ONNX Runtime (CPU EP, intra-op threads = --threads, default 1, all graph
// optimizations), the peer of tessera-bench. Usage:
//   node bench-ort.js --runs N --warmup W [--threads T] <name> <model.onnx> <input.bin> [<name> <model> <input> ...]
// Each input.bin has a JSON sidecar input.json {"shape":[...],"name":"<graph input>"} (written
// by `tessera-bench --write-bin DIR`). Prints one line per model:
//   ORT <name> <median wall ms> <median CPU ms> <best wall ms>
// CPU time is the process's user+system time around session.run, which a shared, loaded
// machine disturbs far less than wall time.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function timeModel(modelPath, binPath, runs, warmup, threads) {
  const meta = JSON.parse(fs.readFileSync(binPath.replace(/\.bin$/, '.json'), 'utf8'));
  const buf = fs.readFileSync(binPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const sess = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const feeds = { [meta.name || sess.inputNames[0]]: new ort.Tensor('float32', data, meta.shape) };
  for (let i = 0; i < warmup; i++) await sess.run(feeds);
  const wall = [], cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs(), t0 = process.hrtime.bigint();
    await sess.run(feeds);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpu.push(cpuMs() - c0);
  }
  await sess.release();
  return [median(wall), median(cpu), Math.min(...wall)];
}

async function main() {
  const args = process.argv.slice(2);
  let runs = 5, warmup = 1, threads = 1;
  const jobs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--runs') runs = parseInt(args[++i], 10);
    else if (args[i] === '--warmup') warmup = parseInt(args[++i], 10);
    else if (args[i] === '--threads') threads = parseInt(args[++i], 10);
    else { jobs.push(args.slice(i, i + 3)); i += 2; }
  }
  if (!jobs.length || jobs[jobs.length - 1].length !== 3) {
    console.error('usage: node bench-ort.js [--runs N] [--warmup W] <name> <model.onnx> <input.bin> ...');
    process.exit(2);
  }
  for (const [name, model, bin] of jobs) {
    const [wall, cpu, best] = await timeModel(model, bin, runs, warmup, threads);
    console.log(`ORT ${name} ${wall.toFixed(2)} ${cpu.toFixed(2)} ${best.toFixed(2)}`);
  }
}
main().catch((e) => { console.error('bench-ort:', e.message || e); process.exit(1); });
