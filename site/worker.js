// The demo's engine thread. It loads the Go engine (aeir.wasm, package
// aeir/wasm over aeir/web), the model, a gallery of image embeddings and
// the sentence corpus, then answers queries posted by the page (app.js).
// Everything slow happens here, so the page never blocks.
//
// Cold start: the engine is downloaded and compiled at once, streaming
// (it does not depend on the manifest), while the manifest and then the
// model, gallery and corpus download in parallel. Sentence → image search
// works as soon as the model, the gallery and the corpus's sentences are
// in (the gallery file carries the hubness terms for that corpus); the
// sentences' embeddings, precomputed at export (manifest.sentences), are
// downloaded after that — or computed here when there are none.
//
// Messages in:  {type: "init", origin, simd} once (origin: the page's
//               performance.timeOrigin, so timings count from navigation;
//               simd: false runs the pure-Go kernels, see simd.js),
//               then {id, op, ...} requests.
// Messages out: {type: "progress"|"ready"|"fatal"|"userFatal"|"busy"|"adapt", ...}
//               and {id, ok: true, result, ms} or {id, ok: false, error, input, stopped}.
//               "userFatal": the user engine stopped (the shipped panels
//               keep working; a later use of panel 3 starts it again).
//
// The user's own gallery (panel 3) lives in a second engine, the "user
// engine": a second Go program (aeir/wasm/user, aeir-user.wasm) started
// on first use; the shipped panels keep the first. Adapt runs AEIR on the
// user's images and sentences here, a step at a time, so that
// "adaptCancel" (handled at once, outside the request queue, which is
// busy adapting) is seen between steps.
"use strict";

const ASSETS = "assets/";
const workerStart = performance.timeOrigin + performance.now();

// The first downloads start before anything else (the Go support script
// below is fetched synchronously); init picks them up.
const early = {
  engine: fetch("aeir.wasm"),
  simd: fetch("simd.wasm").then((r) => {
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.arrayBuffer();
  }),
  manifest: fetch(ASSETS + "manifest.json", { cache: "no-cache" }).then((r) => {
    if (!r.ok) throw new Error(`could not download the manifest (${ASSETS}manifest.json): HTTP ${r.status}.`);
    return r.json();
  }),
  sizes: fetch("../build.json", { cache: "no-cache" }),
};
for (const p of Object.values(early)) p.catch(() => {}); // reported where awaited

importScripts("wasm_exec.js", "simd.js");

// The Go programs' last output lines (wasm_exec.js prints them with
// console.log): a crashed engine's reason is among them.
const recentOutput = [];
{
  const log = console.log.bind(console);
  console.log = (...args) => {
    for (const line of String(args[0]).split("\n")) recentOutput.push(line);
    if (recentOutput.length > 64) recentOutput.splice(0, recentOutput.length - 64);
    log(...args);
  };
}

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
let sentenceBytes = null; // the shipped model's precomputed sentence embeddings file, once downloaded
let origin = performance.timeOrigin; // the page's time origin (navigation)
let simdWanted = true; // the page may turn the SIMD kernels off (?simd=off)
let simdState = ""; // "on", or why the pure-Go kernels run
const queue = [];
let stage = 0; // 0 loading, 1 sentence → image search works, 2 everything works
let running = false;
let simdModule = null; // the compiled SIMD kernels, when they run
let shippedModel = null; // the shipped model's bytes: the user engine starts from them
// The user's gallery and its adaptation: in the user engine, a second Go
// program (aeir/wasm/user, USER_ENGINE) downloaded on first use — or
// self.aeir itself, if the search engine carries the user* methods.
const USER_ENGINE = "aeir-user.wasm";
let userApi = null; // Promise of the user engine's method table
let userRun = null; // {stopped, reason, code, go} of the running user engine
let adaptBytes = null; // the source-domain data for adapting (manifest.adapt.file), once downloaded
let adaptRun = null; // {cancelled} while an adaptation runs
let userModel = null; // the adapted model's .aeir bytes, while the user engine holds it
let userNames = []; // the user's images' names, by gallery index
let userSentencesName = ""; // "" = the shipped sentences
let userSentencesText = null; // the user's sentences file's text
const MAX_SENTENCES_BYTES = 5 << 20;

function post(m, transfer = []) {
  self.postMessage(m, transfer);
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
  return check(self.aeir[name](...args));
}

// ucall is call for the user engine (userEngine must have been awaited).
function ucall(name, ...args) {
  return check(userApiNow[name](...args));
}
let userApiNow = null;
let userMemory = null; // the gallery engine's WebAssembly.Memory

function check(r) {
  if (r && r.error) {
    throw r.input ? new InputError(r.error) : new Error(r.error);
  }
  return r;
}

function url(name, sha) {
  return ASSETS + name + (sha ? "?v=" + sha.slice(0, 12) : "");
}

// fetchBytes downloads a file, reporting progress in decompressed bytes.
// opts.signal aborts the download; opts.retry is what to tell the user to
// do after a network failure (by default, reload).
async function fetchBytes(path, what, onBytes, opts = {}) {
  let res;
  try {
    res = await fetch(path, opts.signal ? { signal: opts.signal } : undefined);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new Error(`could not download the ${what} (${path}): ${e.message}. Check the connection and ${opts.retry || "reload"}.`);
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

// since is the time from the page's navigation, in ms.
function since() {
  return performance.timeOrigin + performance.now() - origin;
}

// startEngine downloads the engine and compiles it while it downloads
// (the Content-Type is set here, so a host serving .wasm with another type
// does not matter), then starts the Go program.
async function startEngine(report, timings) {
  let res;
  try {
    res = await early.engine;
  } catch (e) {
    throw new Error(`could not download the engine (aeir.wasm): ${e.message}. Check the connection and reload.`);
  }
  if (!res.ok) throw new Error(`could not download the engine (aeir.wasm): HTTP ${res.status} ${res.statusText}.`);
  let mod;
  try {
    if (res.body && WebAssembly.compileStreaming) {
      const counted = res.body.pipeThrough(
        new TransformStream({
          transform(chunk, c) {
            report(chunk.length);
            c.enqueue(chunk);
          },
          flush() {
            timings.wasm = since();
          },
        }),
      );
      mod = await WebAssembly.compileStreaming(new Response(counted, { headers: { "Content-Type": "application/wasm" } }));
    } else {
      const b = await res.arrayBuffer();
      report(b.byteLength);
      timings.wasm = since();
      mod = await WebAssembly.compile(b);
    }
  } catch (e) {
    throw new Error(`the engine (aeir.wasm) could not be started: ${e.message}`);
  }
  timings.compile = since();
  const kernels = await simdKernels();
  simdModule = kernels;
  const go = new Go();
  const simd = AeirSIMD.link();
  go.importObject.aeirsimd = simd.imports;
  const started = new Promise((resolve) => (self.aeirReady = resolve));
  let inst;
  try {
    inst = await WebAssembly.instantiate(mod, go.importObject);
  } catch (e) {
    throw new Error(`the engine (aeir.wasm) could not be started: ${e.message}`);
  }
  if (kernels) {
    try {
      await simd.attach(kernels, inst.exports.mem);
      simdState = "on";
    } catch (e) {
      simdState = `the SIMD kernels could not be started (${e.message})`;
    }
  }
  if (simdState !== "on") console.info(`aeir: pure-Go kernels: ${simdState}`);
  go.run(inst).then(() => post({ type: "fatal", error: "The engine stopped unexpectedly. Reload the page." }));
  await started;
  limits = self.aeir.limits();
  timings.engine = since();
}

// simdKernels compiles the SIMD kernels (simd.wasm) if the page wants
// them and the browser has simd128, else records why not and returns null.
async function simdKernels() {
  if (!simdWanted) {
    simdState = "turned off by the page";
    return null;
  }
  let bytes;
  try {
    bytes = await early.simd;
  } catch (e) {
    simdState = `simd.wasm could not be downloaded (${e.message})`;
    return null;
  }
  if (!AeirSIMD.supported(bytes)) {
    simdState = "this browser has no WebAssembly SIMD";
    return null;
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    simdState = `simd.wasm could not be compiled (${e.message})`;
    return null;
  }
}

// sha256Hex is the hex SHA-256 of bytes by the browser, or "" where it
// has no crypto.subtle (a page not served over HTTPS or from localhost):
// the engine then computes it.
async function sha256Hex(bytes) {
  if (!self.crypto || !crypto.subtle) return "";
  try {
    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
  } catch (_) {
    return "";
  }
}

// quiet marks a promise awaited later as handled, so that its failure is
// reported where it is awaited, not as an unhandled rejection first.
function quiet(p) {
  p.catch(() => {});
  return p;
}

async function init(pageOrigin, simdOn) {
  if (pageOrigin) origin = pageOrigin;
  if (simdOn === false) simdWanted = false;
  const timings = { start: workerStart - origin };
  try {
    // Progress in decompressed bytes against build.json's sizes (when it
    // has them; else in files only).
    let total = 0;
    let loaded = 0;
    const report = (n) => {
      loaded += n;
      if (total) post({ type: "progress", loaded, total });
    };
    const engine = quiet(startEngine(report, timings));
    const sizes = early.sizes.then((b) => (b.ok ? b.json() : null)).catch(() => null);

    try {
      manifest = await early.manifest;
    } catch (e) {
      throw e.message.startsWith("could not") ? e : new Error(`could not download the manifest (${ASSETS}manifest.json): ${e.message}. Check the connection and reload.`);
    }
    timings.manifest = since();
    const g = manifest.galleries.find((x) => x.vendor === manifest.default_gallery) || manifest.galleries[0];
    const files = [
      ["site/assets/" + manifest.model.file, url(manifest.model.file, manifest.model.sha256), "model"],
      ["site/assets/" + g.embeddings, url(g.embeddings, g.sha256), "gallery embeddings"],
      ["site/assets/" + manifest.corpus, url(manifest.corpus, manifest.corpus_sha256), "sentences"],
    ];
    if (g.labels) files.push(["site/assets/" + g.labels, url(g.labels, g.labels_sha256), "image labels"]);
    const [modelP, galP, corpusP, labelP] = files.map(([, path, what]) => quiet(fetchBytes(path, what, report)));
    sizes.then((b) => {
      if (!b || !b.files) return;
      const raw = {};
      for (const f of b.files) raw[f.path] = f.raw;
      for (const k of ["site/aeir.wasm", ...files.map(([k]) => k)]) total += raw[k] || 0;
    });

    // The model's SHA-256 (which names it for the gallery and sentence
    // files) natively while the engine compiles, where the browser can.
    const modelSum = quiet(modelP.then(sha256Hex));
    // Each step as soon as what it needs is in.
    await engine;
    shippedModel = await modelP;
    model = call("loadModel", "site/assets/" + manifest.model.file, shippedModel, await modelSum);
    timings.decode = since();
    const galBytes = await galP;
    galleryBytes.set(g.vendor, galBytes);
    call("setGallery", "site/assets/" + g.embeddings, galBytes);
    gallery = g.vendor;
    const corpusBytes = await corpusP;
    const labelBytes = labelP ? await labelP : null;
    timings.download = since();
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
    // The sentences without their embeddings: enough to rank the gallery.
    call("setCorpus", ...corpusArgs());
    timings.model = since();
    // Sentence → image search works from here on: queued searches run
    // while the sentences' embeddings download (or before they are
    // computed).
    stage = 1;
    post({ type: "ready", stage: "gallery", manifest, model, limits, corpus, labels, gallery, timings, simd: simdState });
    pump();
    if (!manifest.sentences) await idle();
    timings.sentencesFrom = await setSentences();
    timings.sentences = since();
    stage = 2;
    post({ type: "ready", stage: "all", timings });
    pump();
  } catch (e) {
    post({ type: "fatal", error: e.message || String(e) });
  }
}

// corpusArgs are the engine's arguments for the corpus: the sentences as
// one string, NUL-separated (one call into Go instead of one a sentence),
// unless one holds a NUL, and the image each describes.
function corpusArgs() {
  const joined = !texts.length || texts.some((t) => t.includes("\0")) ? texts : texts.join("\0");
  return [joined, Int32Array.from(textImage)];
}

// idle resolves once the requests waiting to run have run.
async function idle() {
  await new Promise((resolve) => setTimeout(resolve, 0));
  while (running) await new Promise((resolve) => setTimeout(resolve, 1));
}

// setSentences gives the engine the corpus's embeddings: the file
// precomputed at export for the shipped model, else computed here. It
// returns where they came from ("file" or "computed").
async function setSentences() {
  if (!custom && manifest.sentences) {
    try {
      if (!sentenceBytes) {
        sentenceBytes = await fetchBytes(url(manifest.sentences, manifest.sentences_sha256), "sentence embeddings");
        await idle(); // requests that came in meanwhile (the page's first search) first
      }
      call("loadSentences", "site/assets/" + manifest.sentences, sentenceBytes);
      return "file";
    } catch (e) {
      sentenceBytes = null;
      console.warn(`aeir: computing the sentence embeddings here: ${e.message}`);
    }
  }
  call("embedSentences");
  return "computed";
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
      // A gallery's tiles (tens of MB, a fresh copy from Go) are moved,
      // not copied: copying them would block the page's main thread.
      const move = result && result.tiles instanceof Uint8Array ? [result.tiles.buffer] : [];
      post({ id: m.id, ok: true, result, ms: performance.now() - t }, move);
    } catch (e) {
      post({ id: m.id, ok: false, error: e.message || String(e), input: !!e.input, stopped: !!e.stopped, ms: performance.now() - t });
    }
  }
  running = false;
}

async function handle(m) {
  if (m.op.startsWith("user") || m.op === "adapt") return handleUser(m);
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
    case "adaptCancel":
      return { cancelled: false }; // nothing was running (see onmessage)
  }
  throw new Error("unknown request " + m.op);
}

// handleUser answers the requests about the user's gallery (panel 3).
async function handleUser(m) {
  if (m.op === "userInfo" && !userApiNow) return { images: 0 }; // no need to start the user engine for that
  await userEngine();
  const run = userRun;
  if (!run) throw Object.assign(new Error("The gallery engine stopped; try again."), { stopped: true });
  try {
    return await userOp(m);
  } catch (e) {
    // A call into a crashed engine fails in whatever way: say what happened.
    // (go.exited is set at once; go.run's promise settles a little later)
    if (e instanceof WebAssembly.RuntimeError || run.go.exited) userStopped(run, e instanceof WebAssembly.RuntimeError ? e.message : "");
    if (run.stopped) throw Object.assign(new Error(userStoppedText(run)), { stopped: true });
    throw e;
  }
}

async function userOp(m) {
  switch (m.op) {
    case "userGallery":
      return userGallery(m.files, m.names, m.sentences);
    case "userSetSentences":
      return userSetSentences(m.sentences);
    case "userRestore":
      return userRestore(m.state);
    case "userSearchText": {
      const t = performance.now();
      const r = ucall("userSearchText", m.query, m.k);
      return { hits: r.hits, computeMs: performance.now() - t };
    }
    case "userImageTexts":
      return { hits: ucall("userImageTexts", m.index, m.k).hits };
    case "userSearchFile":
      return searchFile(m.file, m.k, "userSearchImage");
    case "userTiles": {
      const r = ucall("userTiles");
      return { tiles: r.tiles, count: r.count, size: r.size };
    }
    case "userInfo":
      // memoryBytes: the gallery engine's WebAssembly memory, which only
      // grows, so it is the peak (the benchmark reports it)
      return { ...userState(), memoryBytes: userMemory ? userMemory.buffer.byteLength : 0 };
    case "userClear":
      ucall("userClear");
      userModel = null;
      userNames = [];
      userSentencesName = "";
      userSentencesText = null;
      return {};
    case "adapt":
      return adapt(m.options || {}, m.steps || 1);
    case "userEval":
      return ucall("userEval", Int32Array.from(m.textImage));
  }
  throw new Error("unknown request " + m.op);
}

// searchFile checks, decodes and scales an image file off the main
// thread, then ranks the sentences for it.
async function searchFile(file, k, method = "searchImage") {
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
  const [width, height] = [info.width || bmp.width, info.height || bmp.height];
  const [pix, w, h] = await pixelsOf(name, bmp);
  const r = (method === "searchImage" ? call : ucall)(method, pix, w, h, k);
  return { hits: r.hits, width, height, format: info.format };
}

// pixelsOf checks a decoded image's size, scales it down to fit
// limits.decodeSide (opts: createImageBitmap's options) and returns its
// RGBA pixels, width and height; it closes bmp.
async function pixelsOf(name, bmp, opts = {}) {
  try {
    call("checkDims", name, bmp.width, bmp.height);
    let w = bmp.width;
    let h = bmp.height;
    const side = limits.decodeSide;
    if (w > side || h > side) {
      const s = side / Math.max(w, h);
      w = Math.max(1, Math.round(w * s));
      h = Math.max(1, Math.round(h * s));
      const small = await createImageBitmap(bmp, { ...opts, resizeWidth: w, resizeHeight: h, resizeQuality: "high" });
      bmp.close();
      bmp = small;
    }
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext("2d");
    ctx.drawImage(bmp, 0, 0);
    return [new Uint8Array(ctx.getImageData(0, 0, w, h).data.buffer), w, h];
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
    call("setCorpus", ...corpusArgs());
    await setSentences();
    return { model: info, custom };
  } catch (e) {
    post({ type: "busy", done: 1, total: 1 });
    const shipped = await fetchBytes(url(manifest.model.file, manifest.model.sha256), "model");
    model = call("loadModel", "site/assets/" + manifest.model.file, shipped);
    custom = false;
    await setGallery(gallery);
    call("setCorpus", ...corpusArgs());
    await setSentences();
    throw new InputError(`${name} could not be used: ${e.message}. The shipped model is back in place.`);
  }
}

// ---- The user's gallery ------------------------------------------------

// userEngine starts the user engine (the second Go program, aeir-user.wasm)
// once, from the shipped model.
function userEngine() {
  if (!userApi) {
    const p = (userApi = startUserEngine().then((api) => (userApiNow = api)));
    p.catch(() => {
      if (userApi === p) userApi = null; // a later use tries again
    });
  }
  return userApi;
}

function userStoppedText(run) {
  return `The gallery engine stopped (${run.reason || "it exited unexpectedly"}); try fewer images, then choose them again.`;
}

// userStopped is called when the user engine's Go program has ended (a
// panic, or out of memory) or trapped: it forgets that engine, so that a
// later use starts another, and tells the page. The search engine and
// panels 1 and 2 are not affected.
function userStopped(run, reason) {
  if (!run || run.stopped) return;
  run.stopped = true;
  if (!run.reason) {
    const line = recentOutput.slice().reverse().find((l) => /^(fatal error: |panic: |runtime: out of memory)/.test(l));
    run.reason = line ? line.replace(/^(fatal error|panic): /, "").trim() : reason || (run.code ? `exit code ${run.code}` : "");
  }
  if (userRun !== run) return;
  userRun = null;
  userApi = null;
  userApiNow = null;
  userMemory = null;
  userModel = null;
  userNames = [];
  userSentencesName = "";
  userSentencesText = null;
  if (adaptRun) adaptRun.cancelled = true;
  post({ type: "busy", user: true, done: 1, total: 1 });
  post({ type: "userFatal", error: userStoppedText(run) });
}

async function startUserEngine() {
  post({ type: "busy", user: true, plain: true, what: "Downloading the gallery engine", done: 0, total: 1 });
  try {
    let mod;
    try {
      const res = await fetch(USER_ENGINE);
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      mod = WebAssembly.compileStreaming
        ? await WebAssembly.compileStreaming(new Response(res.body, { headers: { "Content-Type": "application/wasm" } }))
        : await WebAssembly.compile(await res.arrayBuffer());
    } catch (e) {
      throw new Error(`could not download the gallery engine (${USER_ENGINE}): ${e.message}. Check the connection and try again.`);
    }
    const go = new Go();
    const run = { stopped: false, reason: "", code: 0, go };
    const exit = go.exit;
    go.exit = (code) => {
      run.code = code;
      exit.call(go, code);
    };
    const simd = AeirSIMD.link();
    go.importObject.aeirsimd = simd.imports;
    const started = new Promise((resolve) => (self.aeirUserReady = resolve));
    const inst = await WebAssembly.instantiate(mod, go.importObject);
    userRun = run;
    userMemory = inst.exports.mem;
    if (simdModule) {
      try {
        await simd.attach(simdModule, inst.exports.mem);
      } catch (_) {
        // its pure-Go kernels give the same results
      }
    }
    const ended = go.run(inst).then(
      () => userStopped(run),
      (e) => userStopped(run, e && e.message),
    );
    await Promise.race([started, ended]);
    if (run.stopped) throw new Error(userStoppedText(run));
    const api = self.aeirUser;
    try {
      check(api.loadModel("site/assets/" + manifest.model.file, shippedModel));
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) userStopped(run, e.message);
      if (run.stopped) throw new Error(userStoppedText(run));
      throw e;
    }
    return api;
  } finally {
    post({ type: "busy", user: true, done: 1, total: 1 });
  }
}

function mb(n) {
  return `${(n / 1048576).toFixed(n < 10485760 ? 1 : 0)} MB`;
}

// readSentences reads a sentences file (one sentence a line) as text, or
// gives the shipped sentences when there is none.
async function readSentences(file) {
  if (!file) return ["", texts.join("\0")];
  const name = `“${file.name}”`;
  if (file.size > MAX_SENTENCES_BYTES) {
    throw new InputError(`${name} is ${mb(file.size)}; a sentences file can be up to ${mb(MAX_SENTENCES_BYTES)} (one sentence a line, at most ${limits.maxUserSentences.toLocaleString("en-US")} lines).`);
  }
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    throw new InputError(`${name} could not be read (${e.message || e.name}).`);
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (_) {
    throw new InputError(`${name} is not UTF-8 text: save it as UTF-8, one sentence a line.`);
  }
  if (text.includes("\0")) {
    throw new InputError(`${name} is not a text file (it holds NUL bytes): give a plain text file, one sentence a line.`);
  }
  return [file.name, text];
}

function userState() {
  const info = ucall("userInfo");
  return {
    ...info,
    names: userNames.slice(0, info.images || 0),
    sentencesName: userSentencesName,
    sentencesText: userSentencesText,
    sentenceTexts: info.images ? ucall("userSentences").sentences.split("\0") : [],
    model: info.adapted ? userModel : null,
  };
}

function progressOf(what) {
  let last = 0;
  return (done, total) => {
    const now = performance.now();
    if (done < total && now - last < 100) return;
    last = now;
    post({ type: "busy", user: true, what, done, total });
  };
}

// decodeHere decodes an image file the engine leaves to the browser (one
// larger than limits.decodeSide), scaled to fit that side.
async function decodeHere(name, file) {
  const opts = { premultiplyAlpha: "none", colorSpaceConversion: "none" };
  let bmp;
  try {
    bmp = await createImageBitmap(file, opts);
  } catch (_) {
    throw new InputError("the file is damaged or not an image this browser can decode");
  }
  return pixelsOf(name, bmp, opts);
}

// named is a skipped file's message, naming it once.
function named(name, msg) {
  const base = name.split("/").pop();
  return msg.includes(base) ? msg : `${name}: ${msg}`;
}

// userGallery builds the user engine's gallery from image files (names:
// their paths, for a folder) and an optional sentences file. Files that
// are not usable images are skipped and listed; the previous gallery
// stays until the new one is complete.
async function userGallery(files, names, sentencesFile) {
  if (files.length > limits.maxUserImages) {
    throw new InputError(`${files.length.toLocaleString("en-US")} images: up to ${limits.maxUserImages.toLocaleString("en-US")} are accepted. Your previous gallery is unchanged.`);
  }
  const [sName, sText] = await readSentences(sentencesFile);
  const skipped = [];
  const got = [];
  let r;
  try {
    ucall("userBegin");
    const report = progressOf("Reading your images");
    for (let i = 0; i < files.length; i++) {
      report(i, files.length);
      const f = files[i];
      const name = (names && names[i]) || f.name;
      if (f.size > limits.maxFileBytes) {
        skipped.push(`${name}: ${mb(f.size)}, over the ${mb(limits.maxFileBytes)} limit`);
        continue;
      }
      let bytes;
      try {
        bytes = new Uint8Array(await f.arrayBuffer());
      } catch (e) {
        // moved, deleted or unreadable since it was chosen: skip it
        skipped.push(`${name} could not be read (${e.message || e.name})`);
        continue;
      }
      try {
        let a = userApiNow.userAddFile(name, bytes);
        if (a && a.error && a.browser) {
          const [pix, w, h] = await decodeHere(name, f);
          a = userApiNow.userAddPixels(name, pix, w, h);
        }
        if (a && a.error) {
          if (!a.input) throw new Error(a.error);
          skipped.push(named(name, a.error));
          continue;
        }
        got[a.index] = name;
      } catch (e) {
        if (!e.input) throw e;
        skipped.push(named(name, e.message));
      }
    }
    r = ucall("userFinish", sName, sText, progressOf("Embedding your images"));
  } catch (e) {
    if (e.input && skipped.length) e.message += ` (${skipped.length} file${skipped.length > 1 ? "s" : ""} skipped: ${skipped.join("; ")})`;
    throw e;
  } finally {
    post({ type: "busy", user: true, done: 1, total: 1 });
  }
  userNames = got;
  userSentencesName = sName;
  userSentencesText = sName ? sText : null;
  if (!ucall("userInfo").adapted) userModel = null;
  return { ...userState(), skipped: skipped.concat(r.skipped || []) };
}

// userSetSentences gives the current gallery other sentences (a file, or
// the shipped ones for null), re-embedding from its tiles with its model.
async function userSetSentences(file) {
  const [sName, sText] = await readSentences(file);
  const info = ucall("userInfo");
  if (!info.images) throw new InputError("Choose your images first.");
  try {
    if (userApiNow.userSetSentences) {
      // keeps the model and the images' embeddings: only the sentences are embedded
      post({ type: "busy", user: true, plain: true, what: "Embedding your sentences", done: 0, total: 1 });
      ucall("userSetSentences", sName, sText);
    } else {
      const t = ucall("userTiles");
      ucall("userRestore", info.adapted ? userModel : null, t.tiles, t.count, t.size, sName, sText, progressOf("Embedding your images"));
    }
  } finally {
    post({ type: "busy", user: true, done: 1, total: 1 });
  }
  userSentencesName = sName;
  userSentencesText = sName ? sText : null;
  return userState();
}

// userRestore rebuilds the user's gallery from what the page stored.
async function userRestore(st) {
  const text = st.sentencesName ? st.sentencesText : texts.join("\0");
  // The page stores the tiles and the model as Blobs (see userPersist).
  const bytes = async (b) => (b instanceof Blob ? new Uint8Array(await b.arrayBuffer()) : b);
  st = { ...st, tiles: await bytes(st.tiles), modelBytes: await bytes(st.modelBytes) };
  try {
    ucall("userRestore", st.modelBytes || null, st.tiles, st.count, st.size, st.sentencesName || "", text, progressOf("Restoring your gallery"));
  } finally {
    post({ type: "busy", user: true, done: 1, total: 1 });
  }
  userModel = st.modelBytes || null;
  userNames = st.names || [];
  userSentencesName = st.sentencesName || "";
  userSentencesText = st.sentencesName ? st.sentencesText : null;
  return userState();
}

// adapt runs AEIR on the user's gallery: the source pairs from the site's
// adaptation data, the user's images and sentences as the unpaired target.
// It reports after every call of adaptStep and yields between calls, so
// that a cancel request is seen. Cancelled or failed, the user engine
// keeps the model and gallery it had.
async function adapt(options, steps) {
  const run = (adaptRun = { cancelled: false, abort: new AbortController() });
  const t0 = performance.now();
  const cancelled = (done, total) => {
    post({ type: "adapt", cancelled: true, done, total, elapsedMs: performance.now() - t0 });
    return { cancelled: true, done, total };
  };
  try {
    if (!manifest.adapt || !manifest.adapt.file) {
      throw new InputError("This site was exported without the data adapting needs (manifest.adapt), so it cannot adapt here.");
    }
    if (!ucall("userInfo").images) throw new InputError("Choose your images first: Adapt trains on your gallery.");
    if (!adaptBytes) {
      post({ type: "adapt", phase: "download", done: 0, total: 0, elapsedMs: 0 });
      try {
        adaptBytes = await fetchBytes(url(manifest.adapt.file, manifest.adapt.sha256), "adaptation data", null, { signal: run.abort.signal, retry: "try Adapt again" });
      } catch (e) {
        if (run.cancelled) return cancelled(0, 0);
        throw e;
      }
    }
    if (run.cancelled) return cancelled(0, 0);
    const b = ucall("adaptBegin", adaptBytes, JSON.stringify(options));
    let done = 0;
    let total = b.total;
    post({ type: "adapt", phase: "start", done, total, epochs: b.epochs, elapsedMs: performance.now() - t0 });
    while (done < total) {
      await new Promise((resolve) => setTimeout(resolve, 0)); // a cancel request comes in here
      if (run.cancelled) {
        ucall("adaptCancel");
        return cancelled(done, total);
      }
      let r;
      try {
        r = ucall("adaptStep", steps);
      } catch (e) {
        userApiNow.adaptCancel();
        throw e;
      }
      done = r.done;
      total = r.total;
      post({ type: "adapt", phase: "step", done, total, epoch: r.epoch, parts: r.parts, elapsedMs: performance.now() - t0 });
    }
    post({ type: "adapt", phase: "finish", done, total, elapsedMs: performance.now() - t0 });
    let fin;
    try {
      fin = ucall("adaptFinish", progressOf("Embedding your gallery with the adapted model"));
    } finally {
      post({ type: "busy", user: true, done: 1, total: 1 });
    }
    userModel = fin.model;
    const elapsedMs = performance.now() - t0;
    post({ type: "adapt", phase: "done", done, total, elapsedMs });
    return { cancelled: false, done, total, elapsedMs, model: fin.model, info: userState() };
  } finally {
    if (adaptRun === run) adaptRun = null;
  }
}

self.onmessage = (e) => {
  const m = e.data;
  if (m.type === "init") {
    init(m.origin, m.simd);
    return;
  }
  if (m.op === "adaptCancel") {
    // At once, not through the queue: the queue is busy adapting. An
    // adaptation still waiting in the queue is dropped.
    let was = false;
    if (adaptRun) {
      adaptRun.cancelled = true;
      adaptRun.abort.abort(); // a download of the adaptation data stops at once
      was = true;
    }
    for (let i = queue.length - 1; i >= 0; i--) {
      if (queue[i].op === "adapt") {
        post({ id: queue[i].id, ok: true, result: { cancelled: true, done: 0, total: 0 }, ms: 0 });
        queue.splice(i, 1);
        was = true;
      }
    }
    post({ id: m.id, ok: true, result: { cancelled: was }, ms: 0 });
    return;
  }
  enqueue(m);
};
