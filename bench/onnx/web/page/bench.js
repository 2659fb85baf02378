// Side by side in one page: the demo's query pipeline (sentence → ranked
// gallery images; image → ranked sentences) on our Go WebAssembly engine
// (package web through ./wasm, the demo's engine; with its SIMD kernels
// and, as a second instance, with its pure-Go ones) and on onnxruntime-web
// running the same model exported with `aeir export --format onnx`.
// Both run on this page's main thread, one thread each, on the same
// queries, interleaved; the result goes to window.benchResult.
import * as ort from './ort/ort.wasm.min.mjs';
import { ids } from './tokenizer.js';

const log = (s) => { document.getElementById('log').textContent += '\n' + s; };
const get = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
const f32 = async (p) => { const b = await get(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

// topK ranks the n rows of set for q as the demo's engine does: cosine
// corrected by the rows' hubness terms hub and the query's own (the mean
// of its hubK best cosines), score = cos − (hub − own) / 2 (web.Hit).
function topK(q, set, n, d, k, hub, hubK) {
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += q[j] * set[o + j];
    scores[i] = s;
  }
  const best = new Array(hubK).fill(-Infinity); // the query's hubK best, descending
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (s <= best[hubK - 1]) continue;
    let p = hubK - 1;
    while (p > 0 && best[p - 1] < s) { best[p] = best[p - 1]; p--; }
    best[p] = s;
  }
  let own = 0;
  for (const b of best) own = Math.fround(own + b);
  own = Math.fround(own / hubK);
  for (let i = 0; i < n; i++) scores[i] -= Math.fround((hub[i] - own) / 2);
  const top = [];
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (top.length === k && s <= scores[top[k - 1]]) continue;
    let p = top.length < k ? top.length : k - 1;
    while (p > 0 && scores[top[p - 1]] < s) { top[p] = top[p - 1]; p--; }
    top[p] = i;
  }
  return top.map((i) => [i, scores[i]]);
}

async function main() {
  const cfg = await (await fetch('bench.json')).json();
  const reps = cfg.reps, k = cfg.k;
  // Our engine, twice: with its SIMD kernels (simd.wasm, linked by the
  // demo's simd.js) and with its pure-Go kernels (the fallback, and the
  // engine before the SIMD kernels), each its own Go instance.
  const must = (r) => { if (r && r.error) throw new Error(r.error); return r; };
  const engineModule = await WebAssembly.compileStreaming(fetch('aeir.wasm'));
  const simdBytes = await get('simd.wasm');
  if (!AeirSIMD.supported(simdBytes)) throw new Error('this browser has no WebAssembly SIMD');
  const simdModule = await WebAssembly.compile(simdBytes);
  const modelBytes = await get('model.aeir'), galleryBytes = await get('gallery.aeir');
  const startOurs = async (withSIMD) => {
    const go = new Go();
    const simd = AeirSIMD.link();
    go.importObject.aeirsimd = simd.imports;
    const ready = new Promise((r) => { window.aeirReady = r; });
    const inst = await WebAssembly.instantiate(engineModule, go.importObject);
    if (withSIMD) await simd.attach(simdModule, inst.exports.mem);
    go.run(inst);
    await ready;
    const e = window.aeir;
    must(e.loadModel('model.aeir', modelBytes));
    must(e.setGallery('gallery.aeir', galleryBytes));
    must(e.setTexts(cfg.corpus, null));
    return e;
  };
  const aeir = await startOurs(true);
  const pure = await startOurs(false);
  // onnxruntime-web, single-threaded (Go wasm has one thread; the page is
  // not cross-origin isolated, so ORT could not use threads anyway).
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  ort.env.wasm.numThreads = 1;
  const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const txtS = await ort.InferenceSession.create('text_encoder.onnx', opts);
  const imgS = await ort.InferenceSession.create('image_encoder.onnx', opts);
  const gal = await f32('gallery.f32'), corp = await f32('corpus.f32');
  const hubImg = await f32('hub_images.f32'), hubTxt = await f32('hub_sentences.f32');
  const d = cfg.dim, nb = cfg.tokenizer.buckets, s = cfg.imageSize;
  const bag = new Float32Array(nb);
  const ortText = async (q) => {
    bag.fill(0);
    for (const id of ids(cfg.tokenizer, q)) bag[id]++;
    const out = await txtS.run({ bag: new ort.Tensor('float32', bag, [1, nb]) });
    return topK(out.embedding.data, gal, cfg.galleryN, d, k, hubImg, cfg.hubK);
  };
  const x = new Float32Array(3 * s * s);
  const ortImage = async (q) => {
    const n = s * s, pix = ortPix.get(q);
    for (let p = 0; p < n; p++) {
      const a = pix[4 * p + 3] / 255;
      for (let c = 0; c < 3; c++) x[c * n + p] = (pix[4 * p + c] / 255) * a + (1 - a);
    }
    const out = await imgS.run({ image: new ort.Tensor('float32', x, [1, 3, s, s]) });
    return topK(out.embedding.data, corp, cfg.corpus.length, d, k, hubTxt, cfg.hubK);
  };
  const oursText = (q) => must(aeir.searchText(q, k)).hits;
  const images = [];
  const raw = await get('queries.rgba');
  for (let i = 0; i < cfg.imageQueries; i++) images.push(raw.slice(i * s * s * 4, (i + 1) * s * s * 4));
  const rawOrt = await get('queries-ort.rgba'); // the same queries as our model reads them (fitted, for a fitting model)
  const ortPix = new Map(images.map((p, i) => [p, rawOrt.slice(i * s * s * 4, (i + 1) * s * s * 4)]));
  const oursImage = (pix) => must(aeir.searchImage(pix, s, s, k)).hits;
  const pureText = (q) => must(pure.searchText(q, k)).hits;
  const pureImage = (pix) => must(pure.searchImage(pix, s, s, k)).hits;
  // The SIMD kernels give the pure-Go kernels' bits: same lists, same scores.
  let pureSame = 0, pureTotal = 0;
  const samePure = (a, b) => { pureTotal++; if (JSON.stringify(a) === JSON.stringify(b)) pureSame++; };
  for (const q of cfg.textQueries) samePure(oursText(q), pureText(q));
  for (const pix of images) samePure(oursImage(pix), pureImage(pix));

  // Same tokens, same answers.
  let tokMismatch = 0, agree = 0, total = 0, maxScoreDiff = 0;
  const same = (a, b) => {
    total++;
    if (a.map((h) => h[0]).join() === b.map((h) => h[0]).join()) agree++;
    for (let i = 0; i < Math.min(a.length, b.length); i++) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(a[i][1] - b[i][1]));
  };
  for (const q of cfg.textQueries) {
    const a = must(aeir.tokenIDs(q)).ids, b = ids(cfg.tokenizer, q);
    if (a.join() !== b.join()) { tokMismatch++; log('token ids differ for ' + JSON.stringify(q)); }
    same(oursText(q), await ortText(q));
  }
  for (const pix of images) same(oursImage(pix), await ortImage(pix));

  // Timing: per query, reps calls of each path, interleaved, after warm-up.
  const time = async (f, arg) => { const t = performance.now(); for (let r = 0; r < reps; r++) await f(arg); return (performance.now() - t) / reps; };
  for (let w = 0; w < 3; w++) { for (const q of cfg.textQueries) { oursText(q); await ortText(q); } for (const p of images) { oursImage(p); await ortImage(p); } }
  const res = { text: { ours: [], ort: [], pure: [] }, image: { ours: [], ort: [], pure: [] }, encode: { textOurs: [], textOrt: [], imageOurs: [], imageOrt: [] } };
  // Encoders alone (no ranking), for the breakdown.
  const encOursText = (q) => must(aeir.encodeText(q));
  const encOrtText = async (q) => { bag.fill(0); for (const id of ids(cfg.tokenizer, q)) bag[id]++; return txtS.run({ bag: new ort.Tensor('float32', bag, [1, nb]) }); };
  const encOursImage = (pix) => must(aeir.encodeImage(pix, s, s));
  const encOrtImage = async (q) => {
    const n = s * s, pix = ortPix.get(q);
    for (let p = 0; p < n; p++) { const a = pix[4 * p + 3] / 255; for (let c = 0; c < 3; c++) x[c * n + p] = (pix[4 * p + c] / 255) * a + (1 - a); }
    return imgS.run({ image: new ort.Tensor('float32', x, [1, 3, s, s]) });
  };
  for (const q of cfg.textQueries) { res.encode.textOurs.push(await time(encOursText, q)); res.encode.textOrt.push(await time(encOrtText, q)); }
  for (const p of images) { res.encode.imageOurs.push(await time(encOursImage, p)); res.encode.imageOrt.push(await time(encOrtImage, p)); }
  for (let round = 0; round < cfg.rounds; round++) {
    for (const q of cfg.textQueries) {
      const swap = round % 2 === 1;
      if (swap) res.text.ort.push(await time(ortText, q));
      res.text.ours.push(await time(oursText, q));
      res.text.pure.push(await time(pureText, q));
      if (!swap) res.text.ort.push(await time(ortText, q));
    }
    for (const p of images) {
      const swap = round % 2 === 1;
      if (swap) res.image.ort.push(await time(ortImage, p));
      res.image.ours.push(await time(oursImage, p));
      res.image.pure.push(await time(pureImage, p));
      if (!swap) res.image.ort.push(await time(ortImage, p));
    }
  }
  window.benchResult = { ...res, pureSame, pureTotal, tokMismatch, agree, total, maxScoreDiff, userAgent: navigator.userAgent, ortVersion: ort.env.versions ? ort.env.versions.web || ort.env.versions.common : '' };
  log('done');
}

main().catch((e) => { window.benchResult = { error: String(e && e.stack || e) }; log('error: ' + e); });
