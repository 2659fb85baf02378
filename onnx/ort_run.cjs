// Runs ONNX models on onnxruntime-node (CPU) for package aeir/onnx (its
// tests and `aeir onnx check`, which embed this file and write it to a
// temporary directory): `node ort_run.cjs jobs.json` where jobs.json is a
// list of
//
//   {"model": "x.onnx", "input": "image", "dims": [1, 3, 32, 32],
//    "in": "x.f32", "out": "y.f32", "repeat": 2}
//
// "in" holds the input as little-endian float32; each run's first output
// is written to "out" (run r > 0 to "out.r"). It prints one JSON line:
// {"version": ..., "results": [{"dims": [...], "inputNames": [...],
// "outputNames": [...]}]}. onnxruntime-node is loaded from the
// node_modules folder $AEIR_ONNX_MODULES (scripts/onnx.sh install puts it
// in .cache/onnx/node_modules).
'use strict';
const fs = require('fs');
const path = require('path');

const modules = process.env.AEIR_ONNX_MODULES || path.join(process.cwd(), '.cache', 'onnx', 'node_modules');
let ort;
try {
  ort = require(path.join(modules, 'onnxruntime-node'));
} catch (e) {
  console.error(`onnxruntime-node not found in ${modules}: run scripts/onnx.sh install (${e.message})`);
  process.exit(3);
}

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const results = [];
  const sessions = new Map();
  for (const j of jobs) {
    let s = sessions.get(j.model);
    if (!s) {
      s = await ort.InferenceSession.create(j.model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      sessions.set(j.model, s);
    }
    const buf = fs.readFileSync(j.in);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const feeds = { [j.input]: new ort.Tensor('float32', Float32Array.from(x), j.dims) };
    let dims;
    for (let r = 0; r < (j.repeat || 1); r++) {
      const out = await s.run(feeds);
      const y = out[s.outputNames[0]];
      dims = y.dims;
      const file = r === 0 ? j.out : `${j.out}.${r}`;
      fs.writeFileSync(file, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
    }
    results.push({ dims, inputNames: s.inputNames, outputNames: s.outputNames });
  }
  const version = require(path.join(modules, 'onnxruntime-node', 'package.json')).version;
  console.log(JSON.stringify({ version, results }));
}

main().catch((e) => {
  console.error(String(e && e.stack || e));
  process.exit(1);
});
