// The demo's engine thread. It loads the Go engine (aeir.wasm, package
// aeir/wasm over aeir/web), the model, a gallery of image embeddings and
// the sentence corpus, then answers queries posted by the page (app.js).
// Everything slow happens here, so the page never blocks.
//
// Messages in:  {type: "init"} once, then {id, op, ...} requests.
// Messages out: {type: "progress"|"ready"|"fatal"|"busy", ...} and
//               {id, ok: true, result, ms} or {id, ok: false, error, input}.
"use strict";

importScripts("wasm_exec.js");

const ASSETS = "assets/";
let limits = null;
let manifest = null;
let corpus = null; // VendorMoji: [{emoji, unified, name, category, text}]; a user's files: [{text, image, short?}]
let texts = null; // the sentences, and the gallery image each describes
let textImage = null;
let labels = null; // a user's gallery: a short text per image
let model = null; // info of the loaded model
let gallery = null; // vendor of the loaded gallery embeddings
let custom = false; // a model the user loaded: galleries are computed here
const galleryBytes = new Map(); // vendor → Uint8Array of its embeddings file
const queue = [];
let stage = 0; // 0 loading, 1 sentence → image search works, 2 everything works
let running = false;

function post(m) {
  self.postMessage(m);
}

// InputError marks problems with what the user gave: shown as they are.
class InputError extends Error {
  constructor(msg) {
    super(msg);
    this.input = true;
  }
}

// call runs a method of the Go engine and turns its {error} into a throw.
function call(name, ...args) {
  const r = self.aeir[name](...args);
  if (r && r.error) {
    throw r.input ? new InputError(r.error) : new Error(r.error);
  }
  return r;
}

function url(name, sha) {
  return ASSETS + name + (sha ? "?v=" + sha.slice(0, 12) : "");
}

// fetchBytes downloads a file, reporting progress in decompressed bytes.
async function fetchBytes(path, what, onBytes) {
  let res;
  try {
    res = await fetch(path);
  } catch (e) {
    throw new Error(`could not download the ${what} (${path}): ${e.message}. Check the connection and reload.`);
  }
  if (!res.ok) {
    throw new Error(`could not download the ${what} (${path}): HTTP ${res.status} ${res.statusText}.`);
  }
  if (!res.body || !onBytes) {
    return new Uint8Array(await res.arrayBuffer());
  }
  const reader = res.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
    onBytes(value.length);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function init() {
  const t0 = performance.now();
  const timings = {};
  try {
    const mres = await fetch(ASSETS + "manifest.json", { cache: "no-cache" });
    if (!mres.ok) throw new Error(`could not download the manifest (${ASSETS}manifest.json): HTTP ${mres.status}.`);
    manifest = await mres.json();
    let sizes = {};
    try {
      const b = await fetch("../build.json", { cache: "no-cache" });
      if (b.ok) for (const f of (await b.json()).files) sizes[f.path] = f.raw;
    } catch (_) {
      sizes = {}; // progress is then counted in files only
    }
    const g = manifest.galleries.find((x) => x.vendor === manifest.default_gallery) || manifest.galleries[0];
    const files = [
      ["site/aeir.wasm", "aeir.wasm", "engine (WebAssembly)"],
      ["site/assets/" + manifest.model.file, url(manifest.model.file, manifest.model.sha256), "model"],
      ["site/assets/" + g.embeddings, url(g.embeddings, g.sha256), "gallery embeddings"],
      ["site/assets/" + manifest.corpus, url(manifest.corpus, manifest.corpus_sha256), "sentences"],
    ];
    if (g.labels) files.push(["site/assets/" + g.labels, url(g.labels, g.labels_sha256), "image labels"]);
    let total = 0;
    let loaded = 0;
    for (const [k] of files) total += sizes[k] || 0;
    const report = (n) => {
      loaded += n;
      post({ type: "progress", loaded, total });
    };
    const [wasm, modelBytes, galBytes, corpusBytes, labelBytes] = await Promise.all(
      files.map(([, path, what]) => fetchBytes(path, what, total ? report : null)),
    );
    timings.download = performance.now() - t0;

    const go = new Go();
    const started = new Promise((resolve) => (self.aeirReady = resolve));
    let inst;
    try {
      inst = await WebAssembly.instantiate(wasm, go.importObject);
    } catch (e) {
      throw new Error(`the engine (aeir.wasm) could not be started: ${e.message}`);
    }
    go.run(inst.instance).then(() => post({ type: "fatal", error: "The engine stopped unexpectedly. Reload the page." }));
    await started;
    limits = self.aeir.limits();
    timings.engine = performance.now() - t0;

    model = call("loadModel", "site/assets/" + manifest.model.file, modelBytes);
    galleryBytes.set(g.vendor, galBytes);
    call("setGallery", "site/assets/" + g.embeddings, galBytes);
    gallery = g.vendor;
    try {
      const c = JSON.parse(new TextDecoder().decode(corpusBytes));
      if (manifest.kind === "files") {
        // every sentence of the user's target domain, with its image
        corpus = c.sentences;
        texts = corpus.map((s) => s.text);
        textImage = corpus.map((s) => s.image);
      } else {
        // one sentence per concept, concept i being gallery image i
        corpus = c.concepts;
        texts = corpus.map((x) => x.text);
        textImage = texts.map((_, i) => i);
      }
      if (labelBytes) labels = JSON.parse(new TextDecoder().decode(labelBytes)).labels;
    } catch (e) {
      throw new Error(`the sentence corpus (${manifest.corpus}) or the image labels are damaged: ${e.message}`);
    }
    timings.model = performance.now() - t0;
    // Sentence → image search works from here on; let queued searches
    // run before the sentence corpus is encoded.
    stage = 1;
    post({ type: "ready", stage: "gallery", manifest, model, limits, corpus, labels, gallery, timings });
    pump();
    await new Promise((resolve) => setTimeout(resolve, 0));
    call("setTexts", texts, textImage);
    timings.sentences = performance.now() - t0;
    stage = 2;
    post({ type: "ready", stage: "all", timings });
    pump();
  } catch (e) {
    post({ type: "fatal", error: e.message || String(e) });
  }
}

// Requests run one at a time in arrival order, except that a new text
// search replaces one still waiting (typing fast only runs the last).
function enqueue(m) {
  if (m.op === "searchText") {
    for (let i = queue.length - 1; i >= 0; i--) {
      if (queue[i].op === "searchText") {
        post({ id: queue[i].id, ok: false, superseded: true, error: "superseded" });
        queue.splice(i, 1);
      }
    }
  }
  queue.push(m);
  pump();
}

function runnable(m) {
  return m.op === "ping" || stage >= 2 || (stage === 1 && m.op === "searchText");
}

async function pump() {
  if (running) return;
  running = true;
  for (;;) {
    const i = queue.findIndex(runnable);
    if (i < 0) break;
    const m = queue.splice(i, 1)[0];
    const t = performance.now();
    try {
      const result = await handle(m);
      post({ id: m.id, ok: true, result, ms: performance.now() - t });
    } catch (e) {
      post({ id: m.id, ok: false, error: e.message || String(e), input: !!e.input, ms: performance.now() - t });
    }
  }
  running = false;
}

async function handle(m) {
  switch (m.op) {
    case "ping":
      return { pong: true };
    case "modelInfo":
      return { model, custom, gallery };
    case "searchText": {
      const t = performance.now();
      const r = call("searchText", m.query, m.k);
      return { hits: r.hits, computeMs: performance.now() - t };
    }
    case "imageTexts": {
      const r = call("imageTexts", m.index, m.k);
      return { hits: r.hits, rank: r.rank };
    }
    case "searchFile":
      return searchFile(m.file, m.k);
    case "searchPixels":
      return { hits: call("searchImage", new Uint8Array(m.pixels), m.width, m.height, m.k).hits };
    case "setGallery":
      return setGallery(m.vendor);
    case "loadModel":
      return loadModel(m.file);
    case "tokenIDs":
      return call("tokenIDs", m.text);
    case "encodeText":
      return { embedding: Array.from(call("encodeText", m.text).embedding) };
    case "encodeImage":
      return { embedding: Array.from(call("encodeImage", new Uint8Array(m.pixels), m.width, m.height).embedding) };
  }
  throw new Error("unknown request " + m.op);
}

// searchFile checks, decodes and scales an image file off the main
// thread, then ranks the sentences for it.
async function searchFile(file, k) {
  const name = file.name || "the pasted image";
  // The whole file (within the size limit): a JPEG's frame header can
  // follow megabytes of metadata, and its size is checked before decoding.
  const bytes = file.size <= limits.maxFileBytes ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array(0);
  const info = call("checkFile", name, file.size, bytes);
  let bmp;
  try {
    bmp = await createImageBitmap(file);
  } catch (_) {
    throw new InputError(`“${name}” could not be decoded as an image: the file is damaged or not a ${info.format.toUpperCase()}.`);
  }
  try {
    call("checkDims", name, bmp.width, bmp.height);
    let w = bmp.width;
    let h = bmp.height;
    const side = limits.decodeSide;
    if (w > side || h > side) {
      const s = side / Math.max(w, h);
      w = Math.max(1, Math.round(w * s));
      h = Math.max(1, Math.round(h * s));
      const small = await createImageBitmap(bmp, { resizeWidth: w, resizeHeight: h, resizeQuality: "high" });
      bmp.close();
      bmp = small;
    }
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext("2d");
    ctx.drawImage(bmp, 0, 0);
    const pix = ctx.getImageData(0, 0, w, h).data;
    const r = call("searchImage", new Uint8Array(pix.buffer), w, h, k);
    return { hits: r.hits, width: info.width || bmp.width, height: info.height || bmp.height, format: info.format };
  } finally {
    bmp.close();
  }
}

async function setGallery(vendor) {
  const g = manifest.galleries.find((x) => x.vendor === vendor);
  if (!g) throw new Error(`no gallery for ${vendor}`);
  if (custom && !g.sprite) {
    throw new InputError(`the ${g.title} gallery holds precomputed image features, not pictures, so another model cannot embed it here`);
  }
  if (custom) {
    await encodeGallery(g);
  } else {
    let b = galleryBytes.get(vendor);
    if (!b) {
      b = await fetchBytes(url(g.embeddings, g.sha256), `${g.title} gallery`);
      galleryBytes.set(vendor, b);
    }
    call("setGallery", "site/assets/" + g.embeddings, b);
  }
  gallery = vendor;
  return { vendor };
}

// encodeGallery computes a gallery's embeddings here, for a model the
// user loaded (the shipped embeddings belong to the shipped model).
async function encodeGallery(g) {
  const blob = new Blob([await fetchBytes(url(g.sprite, g.sprite_sha256), `${g.title} sprite sheet`)], { type: "image/png" });
  const bmp = await createImageBitmap(blob, { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext("2d");
  ctx.drawImage(bmp, 0, 0);
  const pix = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  bmp.close();
  call("encodeGallery", g.vendor, new Uint8Array(pix.buffer), c.width, c.height, g.count, g.tile, g.columns, (done, total) =>
    post({ type: "busy", what: `Embedding the ${g.title} gallery with your model`, done, total }),
  );
  post({ type: "busy", done: 1, total: 1 });
}

// loadModel swaps in a model file the user chose; on any error the
// previous model stays.
async function loadModel(file) {
  const name = `“${file.name}”`;
  if (file.size > 512 << 20) throw new InputError(`${name} is ${(file.size / 1e6).toFixed(0)} MB; model files up to 512 MB are accepted.`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let info;
  try {
    info = call("loadModel", name, bytes);
  } catch (e) {
    throw new InputError(e.message);
  }
  // From here on the engine holds the new model: if the gallery or the
  // sentences fail, reload the shipped one.
  try {
    model = info;
    custom = info.sha256 !== manifest.model.sha256;
    await setGallery(gallery);
    call("setTexts", texts, textImage);
    return { model: info, custom };
  } catch (e) {
    post({ type: "busy", done: 1, total: 1 });
    const shipped = await fetchBytes(url(manifest.model.file, manifest.model.sha256), "model");
    model = call("loadModel", "site/assets/" + manifest.model.file, shipped);
    custom = false;
    await setGallery(gallery);
    call("setTexts", texts, textImage);
    throw new InputError(`${name} could not be used: ${e.message}. The shipped model is back in place.`);
  }
}

self.onmessage = (e) => {
  const m = e.data;
  if (m.type === "init") {
    init();
    return;
  }
  enqueue(m);
};
