// The demo page's main thread: user interface only. The engine (Go
// compiled to WebAssembly) runs in a Web Worker (worker.js); this file
// sends it requests and draws what comes back, so the page stays
// responsive whatever the engine is doing.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "style") e.style.cssText = v; // through the CSSOM: the content security policy refuses style attributes
      else e.setAttribute(k, v);
    }
    for (const kid of kids) if (kid != null) e.append(kid);
    return e;
  };
  const fmt = (n) => n.toLocaleString("en-US");

  // What each training method is, for the model badge. The page never
  // calls a model AEIR unless its file says so.
  const METHODS = {
    aeir: ["AEIR", "aeir", "transfer by source consistency, adversarial semantic transfer and structural transfer"],
    "source-only": ["source-only baseline", "baseline", "supervised on the source pairs only, with no transfer to the target"],
    oracle: ["target oracle (upper bound)", "baseline", "supervised on aligned target pairs: an upper bound, not a competitor"],
    "dann-only": ["DANN-only baseline", "baseline", "source pairs plus adversarial semantic transfer, without structural transfer"],
    dann: ["DANN baseline", "baseline", "source pairs plus adversarial semantic transfer, without structural transfer"],
    "structure-only": ["structure-only baseline", "baseline", "source pairs plus structural transfer, without adversarial transfer"],
    mmd: ["MMD baseline", "baseline", "source pairs plus a maximum-mean-discrepancy transfer term"],
    cca: ["CCA baseline", "baseline", "canonical correlation analysis on source pairs"],
    structure: ["structure-only baseline", "baseline", "source pairs plus structural transfer, without adversarial transfer"],
    cdan: ["CDAN baseline", "baseline", "source pairs plus domain discriminators conditioned on cross-modal predictions"],
    ot: ["pseudo-pair transfer (OT)", "aeir", "source pairs plus target pseudo-pairs matched by optimal transport through the source pairs, beyond the AEIR paper"],
  };

  const S = {
    manifest: null,
    model: null,
    limits: null,
    corpus: null,
    vendor: null,
    sprites: new Map(), // vendor → Promise<HTMLImageElement>
    tiles: new Map(), // vendor:index → data URL
    k: 10,
    ready: false, // sentence → image search works
    allReady: false, // everything works
    fatal: null,
    selected: -1, // gallery image whose sentences are shown
    imageQuery: null, // {kind: "gallery"|"file"|"pixels", ...} the last image query, to re-run
    firstResultMs: null,
    timings: null,
    simd: "", // "on", or why the engine runs its pure-Go kernels
    emojiIndex: null,
    files: false, // the gallery is a user's own data (manifest kind "files"), not VendorMoji
    labels: null, // a user's gallery: a short text per image
  };

  // ---- Images and sentences ---------------------------------------------------
  // VendorMoji: one sentence per concept, sentence i describing image i of
  // every vendor's gallery. A user's files: every sentence of the target
  // domain names the image it describes, and each image has a label (its
  // first sentence, shortened), shown as its name — and in place of a
  // thumbnail when the images are feature vectors.
  const imageName = (i) => (S.files ? S.labels[i] : S.corpus[i].name);
  const imageAlt = (i) => (S.files ? S.labels[i] : `${S.corpus[i].emoji} ${S.corpus[i].name}`);
  const sentenceImage = (j) => (S.files ? S.corpus[j].image : j);

  // ---- The engine thread ------------------------------------------------
  const worker = new Worker("site/worker.js");
  let nextId = 1;
  const pending = new Map();

  function request(op, args = {}, transfer = []) {
    if (S.fatal) return Promise.reject(Object.assign(new Error(S.fatal), { fatal: true }));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, ...args }, transfer);
    });
  }

  worker.onmessage = (e) => {
    const m = e.data;
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve({ ...m.result, ms: m.ms });
      else p.reject(Object.assign(new Error(m.error), { input: m.input, superseded: m.superseded, stopped: m.stopped }));
      return;
    }
    switch (m.type) {
      case "progress":
        onProgress(m.loaded, m.total);
        break;
      case "ready":
        if (m.stage === "gallery") onModelReady(m);
        else onAllReady(m);
        break;
      case "busy":
        onBusy(m);
        if (m.user) userProgress(m);
        break;
      case "adapt":
        onAdaptProgress(m);
        break;
      case "fatal":
        onFatal(m.error);
        break;
      case "userFatal":
        onUserFatal(m.error);
        break;
    }
  };
  worker.onerror = (e) => onFatal(`the engine thread failed to start (${e.message || "script error"}).`);
  // ?simd=off runs the engine's pure-Go kernels instead of its SIMD ones
  // (the same results; for comparing and testing the fallback).
  const simdParam = new URLSearchParams(location.search).get("simd");
  worker.postMessage({ type: "init", origin: performance.timeOrigin, simd: simdParam !== "off" && simdParam !== "0" });

  // ---- Status -------------------------------------------------------------
  function setStatus(text) {
    $("status-text").textContent = text;
  }

  function onProgress(loaded, total) {
    if (S.fatal || S.ready) return; // a download still running after the engine failed or started
    const p = $("progress");
    p.max = total;
    p.value = Math.min(loaded, total);
    setStatus(`Downloading the engine, the model and the gallery… ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`);
  }

  function onBusy(m) {
    const p = $("progress");
    if (m.done >= m.total) {
      p.hidden = true;
      setStatus(readyText());
      return;
    }
    p.hidden = false;
    p.max = m.total;
    p.value = m.done;
    setStatus(m.plain ? `${m.what}…` : `${m.what}… ${fmt(m.done)} of ${fmt(m.total)} images`);
  }

  function onFatal(error) {
    S.fatal = error;
    for (const p of pending.values()) p.reject(Object.assign(new Error(error), { fatal: true }));
    pending.clear();
    registerServiceWorker();
    const st = $("status");
    st.classList.add("fatal");
    $("progress").hidden = true;
    setStatus(`The demo could not start: ${error}`);
    const b = $("method-badge");
    b.textContent = "no model loaded";
    b.className = "badge error";
    $("q").disabled = true;
    setImageInputs(false);
  }

  function readyText() {
    const g = currentGallery();
    const t = S.timings;
    let s = `Ready: ${fmt(g.count)} ${g.title} images`;
    if (S.allReady) s += ` and ${fmt(S.corpus.length)} sentences`;
    if (t) s += ` · loaded in ${(t.model / 1000).toFixed(1)} s`;
    return s;
  }

  function methodInfo(method) {
    return METHODS[method] || [method || "unknown method", "baseline", "a model trained with the method its file names"];
  }

  function domainTitle(d) {
    const [vendor, style] = (d || "").split("/");
    const g = S.manifest.galleries.find((x) => x.vendor === vendor);
    return `${g ? g.title : vendor}${style ? " / " + style : ""}`;
  }

  function showModel() {
    const man = S.manifest.model;
    const [label, cls, what] = methodInfo(S.model.method);
    const b = $("method-badge");
    b.textContent = `Model: ${label}`;
    b.className = `badge ${cls}`;
    b.title = what;
    const custom = S.model.sha256 !== man.sha256;
    if (S.files) {
      $("model-desc").textContent = custom
        ? `your model file (${fmt(S.model.params)} weights, scenario ${S.model.scenario || "not recorded"})`
        : `trained on the pairs of ${man.source}, for the ${man.target} gallery (${S.manifest.dataset}) · ${fmt(man.params)} weights, stored as ${man.dtype}`;
    } else {
      const tgt = man.protocol === "deploy" ? `adapted to the whole ${domainTitle(man.target)} gallery, unaligned` : `for ${domainTitle(man.target)}`;
      const src = custom ? "" : `trained on ${domainTitle(man.source)} pairs ${tgt}`;
      $("model-desc").textContent = custom
        ? `your model file (${fmt(S.model.params)} weights, scenario ${S.model.scenario || "not recorded"})`
        : `${src} · ${fmt(man.params)} weights, stored as ${man.dtype} · ${S.manifest.dataset}`;
      $("about-source").textContent = domainTitle(man.source).split(" / ")[0];
      $("about-target").textContent = domainTitle(man.target).split(" / ")[0];
    }
    const note = $("method-note");
    if (S.model.method === "aeir") {
      note.textContent = man.protocol === "deploy" && !custom
        ? "it was trained with AEIR on the whole target gallery, unaligned, as one would deploy it."
        : "it was trained with AEIR.";
    } else if (S.model.method === "ot") {
      note.textContent = man.protocol === "deploy" && !custom
        ? `it was trained with ${what}, on the whole target gallery, unaligned, as one would deploy it.`
        : `it was trained with ${what}.`;
    } else {
      note.textContent = S.files
        ? `it is the ${label} (${what}), not AEIR.`
        : `it is the ${label} (${what}), not AEIR; compare it with the AEIR rows of the results table.`;
    }
    showExportEval();
  }

  function showExportEval() {
    const box = $("export-eval");
    box.replaceChildren();
    const ev = S.manifest.model.eval || [];
    if (!ev.length) return;
    const pct = (x) => x.toFixed(1);
    const rows = ev.map((r) =>
      el("tr", {},
        el("td", { text: r.name }),
        el("td", { text: pct(r.float16.t2i[0]) }), el("td", { text: pct(r.float16.t2i[1]) }), el("td", { text: pct(r.float16.t2i[2]) }),
        el("td", { text: pct(r.float16.i2t[0]) }), el("td", { text: pct(r.float16.i2t[1]) }), el("td", { text: pct(r.float16.i2t[2]) }),
        el("td", { text: `${pct(r.float16.rsum)} (${pct(r.float32.rsum)})` })));
    box.append(
      el("div", { class: "table-wrap" },
        el("table", {},
          el("caption", { text: `The ${S.files ? "exported" : "shipped"} ${methodInfo(S.manifest.model.method)[0]}, measured when it was exported (recall in %; rsum of the float16 weights the page uses, float32 in brackets).` }),
          el("thead", {}, el("tr", {}, ...["evaluated on", "sent.→img R@1", "R@5", "R@10", "img→sent. R@1", "R@5", "R@10", "rsum"].map((h) => el("th", { text: h })))),
          el("tbody", {}, ...rows))));
  }

  function onModelReady(m) {
    S.manifest = m.manifest;
    S.model = m.model;
    S.limits = m.limits;
    S.corpus = m.corpus;
    S.labels = m.labels;
    S.files = m.manifest.kind === "files";
    S.vendor = m.gallery;
    S.timings = m.timings;
    S.simd = m.simd || "";
    S.ready = true;
    // A query waiting (typed, or in the URL) goes to the engine first;
    // the rest of the page is filled in once its results are shown.
    const q = $("q");
    if (!q.value && location.hash.startsWith("#q=")) q.value = decodeURIComponent(location.hash.slice(3));
    const first = q.value ? runSearch() : null;
    if (currentGallery().sprite) loadSprite(S.vendor);
    $("progress").hidden = true;
    q.disabled = false;
    if (document.activeElement === document.body || !document.activeElement) q.focus();
    const rest = () => {
      if (S.files) showUserGallery();
      else buildGalleryPicker();
      showModel();
      if (!S.allReady) setStatus(readyText() + " · loading the sentences…");
    };
    if (first) first.then(rest, rest);
    else rest();
  }

  function onAllReady(m) {
    S.allReady = true;
    S.timings = m.timings;
    setStatus(readyText());
    setImageInputs(true);
    registerServiceWorker();
    if (!(S.model.imageSize > 0)) $("user").hidden = true; // a model of precomputed image features cannot embed pictures
    showUserLimits();
    setUserInputs();
    U.restoreDone = $("user").hidden ? Promise.resolve() : userRestoreStored();
  }

  // showUserGallery adapts the page to a gallery of the user's own data:
  // no vendor picker, emoji examples, VendorMoji figures or licences; the
  // data's notice from the manifest; no picture queries for a model of
  // precomputed image features.
  function showUserGallery() {
    const man = S.manifest;
    const g = currentGallery();
    const pictures = S.model.imageSize > 0;
    document.title = `AEIR demo — ${g.title}: find images by sentence, sentences by image`;
    $("lede").textContent = `Type a sentence to rank the ${fmt(g.count)} images of ${g.title} (${man.dataset}); ` +
      `click an image${pictures ? ", or upload, paste or draw one," : ""} to rank its ${fmt(S.corpus.length)} sentences. ` +
      `The model runs in your browser — Go compiled to WebAssembly, in a background thread. Nothing you ${pictures ? "type, upload or draw" : "type"} leaves this page.`;
    $("galleries").hidden = true;
    $("q-label").textContent = "Describe an image";
    const n = g.count;
    const picks = [...new Set([0, 1, 2, 3].map((k) => Math.floor((k * n) / 4)))].filter((i) => i < n);
    $("q").placeholder = `Describe an image, e.g. ${S.labels[picks[0]]}`;
    $("q-hint").replaceChildren("Try:", ...picks.map((i) => {
      const b = el("button", { type: "button", class: "chip", "data-q": S.labels[i], text: S.labels[i] });
      b.addEventListener("click", () => setQuery(S.labels[i]));
      return b;
    }));
    if (pictures) {
      $("image-note").textContent = "Click an image of the ranking, or give your own: upload, drop or paste (Ctrl+V) a picture, or draw one.";
      $("pad-hint").textContent = "Draw here";
    } else {
      $("image-note").hidden = true;
      $("image-inputs").hidden = true;
      const no = $("no-upload");
      no.hidden = false;
      no.textContent = `Click an image of the ranking to find its sentences. This model reads precomputed image features (${fmt(man.model.feature_dim || 0)}-dimensional vectors made outside the page), not pictures, so the page cannot search with an image you upload or draw.`;
    }
    $("about-vendormoji").hidden = true;
    const about = $("about-files");
    about.hidden = false;
    about.textContent = `Here the source is ${man.model.source}, whose pairs trained the model, and the target is ${g.title}: ` +
      `the gallery holds every one of its ${fmt(g.count)} images and ${fmt(S.corpus.length)} sentences (${man.dataset}, all splits)` +
      ({ "source-only": ", none of which the model saw in training. ", oracle: "; the oracle was trained on the training part's pairs (an upper bound). " }[man.model.method] ||
        "; the model saw the training part in training, its images and sentences unaligned. ") +
      "Sentence ↔ image rankings subtract each item's hubness — its highest cosine to the other side — from its cosine (CSLS, Conneau et al. 2018), so an image close to every sentence cannot crowd every list.";
    $("tsne-fig").hidden = true;
    $("about").querySelector(".cols").classList.add("single");
    $("results").hidden = true;
    $("h-model").textContent = "The exported model";
    $("own-model").hidden = !g.sprite;
    $("credits-vendormoji").hidden = true;
    $("credits-files").hidden = false;
    $("attribution").textContent = man.attribution || "No notice was given when the site was exported.";
  }

  // ---- Galleries and tiles --------------------------------------------
  function currentGallery() {
    return S.manifest.galleries.find((g) => g.vendor === S.vendor);
  }

  const ROLE = {
    target: ["target", "the domain the model was adapted to"],
    source: ["source", "the domain of the training pairs"],
    unseen: ["unseen", "a vendor in neither training domain"],
  };

  function buildGalleryPicker() {
    const fs = $("galleries");
    fs.querySelectorAll("label").forEach((l) => l.remove());
    for (const g of S.manifest.galleries) {
      const [role, roleText] = ROLE[g.role] || [g.role, ""];
      const input = el("input", { type: "radio", name: "gallery", value: g.vendor });
      input.checked = g.vendor === S.vendor;
      input.addEventListener("change", () => switchGallery(g.vendor));
      fs.append(el("label", { title: `${g.title}: ${roleText}; ${g.licence}` }, input, `${g.title} `, el("span", { class: "role", text: role })));
    }
    fs.disabled = false;
  }

  async function switchGallery(vendor) {
    const fs = $("galleries");
    fs.disabled = true;
    const prev = S.vendor;
    try {
      setStatus(`Loading the ${S.manifest.galleries.find((g) => g.vendor === vendor).title} gallery…`);
      await Promise.all([request("setGallery", { vendor }), loadSprite(vendor)]);
      S.vendor = vendor;
      setStatus(readyText());
      if ($("q").value.trim()) runSearch();
      if (S.imageQuery && S.imageQuery.kind === "gallery") showImageSentences(S.imageQuery.index);
      else if (S.imageQuery) rerunImageQuery();
    } catch (err) {
      S.vendor = prev;
      fs.querySelector(`input[value="${prev}"]`).checked = true;
      showMsg("q-msg", `The gallery could not be loaded: ${err.message}`, "error");
      setStatus(readyText());
    } finally {
      fs.disabled = false;
    }
  }

  function loadSprite(vendor) {
    if (!S.sprites.has(vendor)) {
      const g = S.manifest.galleries.find((x) => x.vendor === vendor);
      const img = new Image();
      img.src = `site/assets/${g.sprite}?v=${g.sprite_sha256.slice(0, 12)}`;
      const p = img.decode().then(() => img);
      p.catch(() => S.sprites.delete(vendor));
      S.sprites.set(vendor, p);
    }
    return S.sprites.get(vendor);
  }

  // tile returns an <img> of gallery image i, filled in once the sprite
  // sheet has been decoded — or, for a gallery without one (feature
  // vectors), its label.
  function tile(i, vendor = S.vendor) {
    const g = S.manifest.galleries.find((x) => x.vendor === vendor);
    if (!g.sprite) return el("span", { class: "tile-label", role: "img", "aria-label": imageAlt(i) }, el("span", { text: imageName(i) }));
    const img = el("img", { alt: imageAlt(i), width: 64, height: 64, decoding: "async" });
    const key = `${vendor}:${i}`;
    if (S.tiles.has(key)) {
      img.src = S.tiles.get(key);
      return img;
    }
    loadSprite(vendor).then((sheet) => {
      const g = S.manifest.galleries.find((x) => x.vendor === vendor);
      const cv = document.createElement("canvas");
      cv.width = cv.height = g.tile;
      cv.getContext("2d").drawImage(sheet, (i % g.columns) * g.tile, Math.floor(i / g.columns) * g.tile, g.tile, g.tile, 0, 0, g.tile, g.tile);
      const url = cv.toDataURL();
      S.tiles.set(key, url);
      img.src = url;
    }, () => {});
    return img;
  }

  // ---- Sentence → images ---------------------------------------------------
  let searchSeq = 0;
  let debounce = 0;

  function showMsg(id, text, kind = "", extra = null) {
    const box = $(id);
    box.className = `msg ${kind}`;
    box.replaceChildren(text);
    if (extra) box.append(extra);
  }

  function runSearch() {
    clearTimeout(debounce);
    if (!S.ready) return;
    const q = $("q").value;
    const seq = ++searchSeq;
    const t0 = performance.now();
    history.replaceState(null, "", q.trim() ? `#q=${encodeURIComponent(q)}` : location.pathname + location.search);
    return request("searchText", { query: q, k: S.k }).then(
      (r) => {
        if (seq !== searchSeq) return;
        showMsg("q-msg", "");
        renderImages(r.hits, q);
        if (S.firstResultMs === null) S.firstResultMs = performance.now();
        lastSearch = { query: q, hits: r.hits, computeMs: r.computeMs, roundTripMs: performance.now() - t0 };
      },
      (err) => {
        if (err.superseded || seq !== searchSeq) return;
        $("image-results").replaceChildren();
        lastSearch = { query: q, error: err.message };
        showMsg("q-msg", err.message, err.input ? "warn" : "error", err.input ? emojiSuggestions(q) : null);
      },
    );
  }
  let lastSearch = null;

  // emojiSuggestions offers the names of emoji typed into a query.
  function emojiSuggestions(q) {
    if (S.files || !S.corpus || !window.Intl || !Intl.Segmenter) return null;
    if (!S.emojiIndex) {
      S.emojiIndex = new Map();
      S.corpus.forEach((c, i) => {
        S.emojiIndex.set(c.emoji, i);
        S.emojiIndex.set(c.emoji.replace(/\uFE0F/g, ""), i);
      });
    }
    const seen = new Set();
    const span = el("span");
    for (const { segment } of new Intl.Segmenter("en", { granularity: "grapheme" }).segment(q)) {
      const i = S.emojiIndex.get(segment) ?? S.emojiIndex.get(segment.replace(/\uFE0F/g, ""));
      if (i === undefined || seen.has(i) || seen.size >= 4) continue;
      seen.add(i);
      const name = S.corpus[i].name;
      span.append(el("button", { type: "button", class: "chip", onclick: () => setQuery(name) }, `${segment} search “${name}”`));
    }
    return seen.size ? span : null;
  }

  function setQuery(q) {
    const input = $("q");
    input.value = q;
    input.focus();
    runSearch();
  }

  function renderImages(hits, q) {
    const list = $("image-results");
    const labelsOnly = !currentGallery().sprite; // the tile is the name
    const cards = hits.map(([i, s], r) => {
      const name = imageName(i);
      const b = el("button", {
        type: "button", class: "card", "aria-pressed": String(i === S.selected), "data-index": String(i),
        "aria-label": `Rank ${r + 1}: ${name}, score ${s.toFixed(2)}. Show its sentences.`,
      },
      tile(i),
      labelsOnly ? null : el("span", { class: "name", text: name }),
      el("span", { class: "meta" },
        el("span", { class: "rank", text: `#${r + 1}` }),
        el("span", { class: "bar", "aria-hidden": "true" }, el("i", { style: `width:${Math.max(0, s) * 100}%` })),
        s.toFixed(2)));
      b.addEventListener("click", () => selectImage(i));
      return el("li", {}, b);
    });
    list.replaceChildren(...cards);
    list.setAttribute("aria-label", `${hits.length} images ranked for “${q}”`);
  }

  // A link to a search: #q=… (kept up to date while typing).
  window.addEventListener("hashchange", () => {
    if (!location.hash.startsWith("#q=")) return;
    const q = decodeURIComponent(location.hash.slice(3));
    if (q !== $("q").value) setQuery(q);
  });

  // The search form is never submitted (searching is in the page; the
  // content security policy allows no form action).
  $("search-form").addEventListener("submit", (e) => e.preventDefault());
  $("q").addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(runSearch, 150);
  });
  $("q").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      runSearch();
    } else if (e.key === "Escape") {
      $("q").value = "";
      runSearch();
    }
  });
  $("k").addEventListener("change", () => {
    S.k = Number($("k").value);
    if ($("q").value.trim()) runSearch();
    if (S.imageQuery) rerunImageQuery();
  });
  document.querySelectorAll(".chip[data-q]").forEach((b) => b.addEventListener("click", () => setQuery(b.dataset.q)));
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t.isContentEditable;
    if (e.key === "/" && !typing && t.id !== "pad") {
      e.preventDefault();
      $("q").focus();
      $("q").select();
    }
  });

  // ---- Image → sentences -----------------------------------------------------
  function setImageInputs(on) {
    for (const id of ["file", "search-drawing", "undo", "clear"]) $(id).disabled = !on;
    $("file-label").classList.toggle("disabled", !on);
  }
  setImageInputs(false);

  function selectImage(i) {
    S.selected = i;
    document.querySelectorAll(".card").forEach((b) => b.setAttribute("aria-pressed", String(Number(b.dataset.index) === i)));
    showImageSentences(i);
  }

  function showImageSentences(i) {
    S.imageQuery = { kind: "gallery", index: i };
    const name = imageName(i);
    const g = currentGallery();
    if (!S.allReady) {
      showMsg("i-msg", "The sentences are still being encoded; one moment…");
    }
    request("imageTexts", { index: i, k: S.k }).then(
      (r) => {
        if (S.imageQuery.kind !== "gallery" || S.imageQuery.index !== i) return;
        showMsg("i-msg", "");
        let note = "";
        if (r.rank) {
          note = S.files
            ? `Its best-ranked own sentence is #${fmt(r.rank)} of ${fmt(S.corpus.length)}.`
            : `Its own sentence ranks #${fmt(r.rank)} of ${fmt(S.corpus.length)}.`;
        }
        showQuery("", imageAlt(i), `${g.title} image`, `Sentences for the ${g.title} image “${name}”`, note, i);
        renderSentences(r.hits, i);
        revealSentences();
      },
      (err) => showMsg("i-msg", err.message, err.input ? "warn" : "error"),
    );
  }

  function showQuery(src, alt, caption, title, note, galleryIndex = -1) {
    const q = $("query");
    q.hidden = false;
    const img = $("query-img");
    img.alt = alt;
    img.parentElement.hidden = galleryIndex >= 0 && !currentGallery().sprite; // a label, not a picture: the title names it
    if (galleryIndex >= 0) {
      const t = tile(galleryIndex);
      img.src = t.src || "";
      if (!t.src) t.addEventListener("load", () => (img.src = t.src), { once: true });
    } else {
      img.src = src;
    }
    $("query-caption").textContent = caption;
    $("query-title").textContent = title;
    $("query-note").textContent = note;
  }

  function renderSentences(hits, own = -1) {
    const list = $("text-results");
    list.replaceChildren(...hits.map(([j, s], r) => {
      const c = S.corpus[j];
      // VendorMoji sentences are "name: keywords"; a user's are as written
      const [name, rest] = S.files ? ["", c.text] : splitSentence(c.text);
      const isOwn = own >= 0 && sentenceImage(j) === own;
      return el("li", { class: isOwn ? "own" : "", "data-index": String(j) },
        el("span", { class: "rank", text: `#${r + 1}` }),
        tile(sentenceImage(j)),
        el("span", { class: "text" }, name ? el("b", { text: name }) : null, rest, isOwn ? el("span", { class: "tag", text: "this image's sentence" }) : null),
        el("span", { class: "score", text: s.toFixed(2) }));
    }));
  }

  function splitSentence(t) {
    const i = t.indexOf(":");
    return i < 0 ? [t, ""] : [t.slice(0, i), t.slice(i)];
  }

  function revealSentences() {
    const r = $("query").getBoundingClientRect();
    if (r.top < 0 || r.top > window.innerHeight - 120) $("query").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function rerunImageQuery() {
    const q = S.imageQuery;
    if (!q) return;
    if (q.kind === "gallery") showImageSentences(q.index);
    else if (q.kind === "file") searchFile(q.file);
    else if (q.kind === "pixels") searchPixels(q.pixels, q.width, q.height, q.preview, q.label);
  }

  async function searchFile(file) {
    if (!S.allReady) {
      showMsg("i-msg", "The engine is still loading; try again in a moment.", "warn");
      return;
    }
    const name = file.name || "the pasted image";
    showMsg("i-msg", `Reading “${name}”…`);
    try {
      const r = await request("searchFile", { file, k: S.k });
      S.imageQuery = { kind: "file", file };
      S.selected = -1;
      document.querySelectorAll(".card[aria-pressed=true]").forEach((b) => b.setAttribute("aria-pressed", "false"));
      showMsg("i-msg", "");
      if (S.previewURL) URL.revokeObjectURL(S.previewURL);
      S.previewURL = URL.createObjectURL(file);
      showQuery(S.previewURL, `your image ${name}`, `${r.format.toUpperCase()} ${r.width} × ${r.height}`, `Sentences for “${name}”`,
        `${S.model.fit ? "Cropped to its drawing, scaled" : "Scaled"} to ${S.model.imageSize} × ${S.model.imageSize} and composited on white, as in training.`);
      renderSentences(r.hits);
      revealSentences();
    } catch (err) {
      showMsg("i-msg", err.message, err.input ? "warn" : "error");
    }
  }

  async function searchPixels(pixels, width, height, preview, label) {
    if (!S.allReady) {
      showMsg("i-msg", "The engine is still loading; try again in a moment.", "warn");
      return;
    }
    try {
      const r = await request("searchPixels", { pixels: pixels.slice(0), width, height, k: S.k });
      S.imageQuery = { kind: "pixels", pixels, width, height, preview, label };
      S.selected = -1;
      showMsg("i-msg", "");
      showQuery(preview, label, "your drawing", "Sentences for your drawing",
        `${S.model.fit ? "Cropped to the drawing, scaled" : "Scaled"} to ${S.model.imageSize} × ${S.model.imageSize}, as in training.`);
      renderSentences(r.hits);
    } catch (err) {
      showMsg("i-msg", err.message, err.input ? "warn" : "error");
    }
  }

  // Upload, drop, paste.
  $("file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    if (f) searchFile(f);
    e.target.value = "";
  });
  const drop = $("drop");
  let dragDepth = 0;
  document.addEventListener("dragenter", (e) => {
    if (e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files")) {
      dragDepth++;
      drop.classList.add("over");
    }
  });
  document.addEventListener("dragleave", () => {
    if (--dragDepth <= 0) {
      dragDepth = 0;
      drop.classList.remove("over");
      $("u-drop").classList.remove("over");
    }
  });
  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (!dragDepth) return;
    const user = inUser(e);
    $("u-drop").classList.toggle("over", user);
    drop.classList.toggle("over", !user);
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    dragDepth = 0;
    drop.classList.remove("over");
    if (inUser(e)) {
      userDrop(e);
      return;
    }
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) searchFile(f);
    else showMsg("i-msg", "Drop an image file (a picture dragged from another web page arrives as a link, not a file: save it first).", "warn");
  });
  document.addEventListener("paste", (e) => {
    const items = e.clipboardData ? Array.from(e.clipboardData.files) : [];
    const f = items.find((x) => x.type.startsWith("image/")) || items[0];
    if (f) {
      e.preventDefault();
      searchFile(f);
    }
  });

  // ---- Drawing pad --------------------------------------------------------------
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  const COLOURS = [["black", "#222222"], ["red", "#e53935"], ["orange", "#fb8c00"], ["yellow", "#fdd835"], ["green", "#43a047"], ["blue", "#1e88e5"], ["purple", "#8e24aa"], ["brown", "#6d4c41"], ["pink", "#f48fb1"]];
  let colour = COLOURS[0][1];
  const strokes = [];
  let current = null;
  let drawTimer = 0;
  const cursor = { x: 128, y: 128, down: false };

  const palette = $("palette");
  COLOURS.forEach(([name, hex], n) => {
    const b = el("button", { type: "button", class: "swatch", role: "radio", "aria-checked": String(n === 0), "aria-label": name, title: name, style: `background:${hex}` });
    b.addEventListener("click", () => {
      colour = hex;
      palette.querySelectorAll(".swatch").forEach((s) => s.setAttribute("aria-checked", String(s === b)));
    });
    palette.append(b);
  });

  function redraw() {
    $("pad-wrap").classList.toggle("drawn", strokes.length > 0 || document.activeElement === pad);
    ctx.clearRect(0, 0, pad.width, pad.height);
    for (const s of strokes) paint(s);
    if (document.activeElement === pad) {
      ctx.save();
      ctx.strokeStyle = cursor.down ? colour : "#888";
      ctx.lineWidth = 1.5;
      ctx.setLineDash(cursor.down ? [] : [3, 3]);
      ctx.beginPath();
      ctx.arc(cursor.x, cursor.y, Number($("pen").value) / 2 + 2, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.restore();
    }
  }

  function paint(s) {
    ctx.strokeStyle = ctx.fillStyle = s.colour;
    ctx.lineWidth = s.width;
    ctx.lineCap = ctx.lineJoin = "round";
    if (s.points.length === 1) {
      ctx.beginPath();
      ctx.arc(s.points[0][0], s.points[0][1], s.width / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(...s.points[0]);
    for (const p of s.points.slice(1)) ctx.lineTo(...p);
    ctx.stroke();
  }

  function padPoint(e) {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  }

  pad.addEventListener("pointerdown", (e) => {
    pad.setPointerCapture(e.pointerId);
    current = { colour, width: Number($("pen").value), points: [padPoint(e)] };
    strokes.push(current);
    redraw();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!current) return;
    current.points.push(padPoint(e));
    redraw();
  });
  const endStroke = () => {
    if (!current) return;
    current = null;
    scheduleDrawingSearch();
  };
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);
  pad.addEventListener("focus", redraw);
  pad.addEventListener("blur", () => {
    cursor.down = false;
    redraw();
  });
  pad.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 2 : 8;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      e.preventDefault();
      cursor.x = Math.min(pad.width, Math.max(0, cursor.x + moves[e.key][0]));
      cursor.y = Math.min(pad.height, Math.max(0, cursor.y + moves[e.key][1]));
      if (cursor.down) {
        strokes[strokes.length - 1].points.push([cursor.x, cursor.y]);
        scheduleDrawingSearch();
      }
      redraw();
    } else if (e.key === " ") {
      e.preventDefault();
      cursor.down = !cursor.down;
      if (cursor.down) {
        strokes.push({ colour, width: Number($("pen").value), points: [[cursor.x, cursor.y]] });
        scheduleDrawingSearch();
      }
      redraw();
    } else if (e.key === "Enter") {
      e.preventDefault();
      searchDrawing();
    }
  });

  function scheduleDrawingSearch() {
    clearTimeout(drawTimer);
    drawTimer = setTimeout(() => {
      if (strokes.length && S.allReady) searchDrawing();
    }, 500);
  }

  function searchDrawing() {
    clearTimeout(drawTimer);
    if (!strokes.length) {
      showMsg("i-msg", "Draw something first: the pad is empty.", "warn");
      return;
    }
    // Read the pixels without the keyboard cursor.
    ctx.clearRect(0, 0, pad.width, pad.height);
    for (const s of strokes) paint(s);
    const data = ctx.getImageData(0, 0, pad.width, pad.height).data;
    const preview = pad.toDataURL();
    redraw();
    searchPixels(new Uint8Array(data.buffer), pad.width, pad.height, preview, "your drawing");
  }

  $("search-drawing").addEventListener("click", searchDrawing);
  $("undo").addEventListener("click", () => {
    strokes.pop();
    cursor.down = false;
    redraw();
    if (strokes.length) scheduleDrawingSearch();
  });
  $("clear").addEventListener("click", () => {
    strokes.length = 0;
    cursor.down = false;
    redraw();
  });

  // ---- Your own model ---------------------------------------------------------------
  $("model-file").addEventListener("change", async (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (!f) return;
    if (!S.allReady) {
      showMsg("model-msg", "The shipped model is still loading; try again in a moment.", "warn");
      return;
    }
    showMsg("model-msg", `Loading “${f.name}”…`);
    try {
      const r = await request("loadModel", { file: f });
      S.model = r.model;
      showModel();
      showMsg("model-msg", r.custom
        ? `Now ranking with “${f.name}” (${methodInfo(r.model.method)[0]}); the gallery was embedded with it.`
        : `“${f.name}” is the shipped model.`);
      setStatus(readyText());
      if ($("q").value.trim()) runSearch();
      rerunImageQuery();
    } catch (err) {
      showMsg("model-msg", err.message, err.input ? "warn" : "error");
      try {
        const now = await request("modelInfo");
        if (now.model.sha256 !== S.model.sha256) {
          S.model = now.model;
          showModel();
        }
      } catch (_) {
        // the message above says what happened
      }
      setStatus(readyText());
    }
  });

  // ---- 3 Your gallery ------------------------------------------------------------
  // The user's own images and sentences, in the engine's second ("user")
  // engine; Adapt trains AEIR on them in the worker. The gallery (its
  // tiles, names and sentences) and the adapted model are kept in this
  // browser's IndexedDB, and restored on the next visit.
  const U = {
    info: null, // the worker's userState: {images, sentences, adapted, names, sentenceTexts, sentencesName, sentencesText, model}
    tiles: null, // Uint8Array: count × size × size × 4 RGBA, straight alpha
    count: 0,
    size: 0,
    thumbs: new Map(), // index → data URL
    sentencesFile: null, // the sentences file chosen, or null for the shipped sentences
    model: null, // the adapted model's .aeir bytes
    adapting: false,
    adaptPhase: "", // the adaptation's last phase ("finish": Cancel cannot take effect any more)
    cancelRequested: false, // Cancel was pressed during this adaptation
    adaptSent: false, // the "adapt" request went to the worker
    busy: false, // building or restoring a gallery
    stops: 0, // how many times the gallery engine stopped (see onUserFatal)
    lastProgress: null, // the last {type: "adapt", …} message
    lastAdapt: null, // {query, before, after, done, total, cancelled, elapsedMs}
    restored: false,
    restoreDone: null, // Promise: the stored gallery restored (or none)
    queryURL: null,
    searchSeq: 0,
  };
  const userInputs = ["u-files", "u-folder", "u-sentences", "u-q", "u-query-file", "u-adapt", "u-forget"];
  const IMAGE_NAME = /\.(png|jpe?g|gif|webp|bmp)$/i;
  const inputError = (msg) => Object.assign(new Error(msg), { input: true });
  const plural = (n, one, many = one + "s") => `${fmt(n)} ${n === 1 ? one : many}`;

  function userLimits() {
    const L = S.limits || {};
    return { images: L.maxUserImages || 5000, bytes: L.maxFileBytes || 20e6, sentences: L.maxUserSentences || 5000 };
  }

  function showUserLimits() {
    const L = userLimits();
    // A site exported without source pairs (manifest.adapt) cannot adapt.
    $("u-adapt").hidden = !S.manifest.adapt;
    if (!S.manifest.adapt) $("u-intro").textContent = "Search your own images with your own sentences.";
    $("u-limits").textContent = `PNG, JPEG, GIF, WebP or BMP: up to ${fmt(L.images)} images, ${Math.round(L.bytes / 1048576)} MB each. ` +
      `Sentences: a text file, one sentence a line, up to ${fmt(L.sentences)} lines; without one, the shipped ${fmt(S.corpus.length)} sentences.`;
  }

  function setUserInputs() {
    const on = S.allReady && !U.adapting && !U.busy;
    for (const id of userInputs) $(id).disabled = !on;
    for (const id of ["u-files-label", "u-folder-label", "u-sentences-label", "u-query-file-label"]) $(id).classList.toggle("disabled", !on);
    $("u-cancel").hidden = !U.adapting;
    $("u-cancel").disabled = !U.adapting || U.adaptPhase === "finish";
    $("u-download").hidden = !U.model;
  }

  function userProgress(m) {
    const box = $("u-progress-box");
    if (!m || m.done >= m.total) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    $("u-progress").max = m.total;
    $("u-progress").value = m.done;
    $("u-progress-text").textContent = m.plain ? `${m.what}…` : `${m.what}… ${fmt(m.done)} of ${fmt(m.total)}`;
  }

  // onUserFatal: the gallery engine (the worker's second Go program)
  // stopped, and the gallery it held is gone; panels 1 and 2 keep
  // working, and a later use of this panel starts the engine again.
  function onUserFatal(error) {
    U.stops++;
    userClearView();
    userProgress(null);
    $("u-adapt-box").hidden = true;
    showMsg("u-msg", error, "error");
  }

  // thumb is an <img> of the user's image i, drawn from the tiles.
  function thumb(i, alt) {
    let src = U.thumbs.get(i);
    if (!src) {
      const n = U.size * U.size * 4;
      const cv = document.createElement("canvas");
      cv.width = cv.height = U.size;
      cv.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(U.tiles.buffer, U.tiles.byteOffset + i * n, n), U.size, U.size), 0, 0);
      src = cv.toDataURL();
      U.thumbs.set(i, src);
    }
    return el("img", { src, alt: alt || userName(i), width: 64, height: 64 });
  }

  const userName = (i) => (U.info.names && U.info.names[i]) || `image ${i + 1}`;
  const userSentence = (j) => U.info.sentenceTexts[j] || "";

  // ---- Reading a selection or a drop
  // pickFiles keeps the image files of a selection ({file, name}) and
  // lists the others.
  function pickFiles(items) {
    const images = [];
    const others = [];
    for (const it of items) {
      const { file, name } = it instanceof File ? { file: it, name: it.webkitRelativePath || it.name } : it;
      const base = name.split("/").pop();
      if (base.startsWith(".")) continue; // .DS_Store and the like
      if ((file.type && file.type.startsWith("image/")) || IMAGE_NAME.test(base)) images.push({ file, name });
      else others.push(name);
    }
    images.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { images, others };
  }

  // droppedFiles lists the files of a drop, walking dropped folders. The
  // entries are taken at once: a drop's items are gone after the event.
  function droppedFiles(dt) {
    const items = Array.from(dt.items || []).filter((i) => i.kind === "file");
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (!entries.length || entries.some((e) => !e)) return Promise.resolve(Array.from(dt.files || []).map((f) => ({ file: f, name: f.name })));
    const out = [];
    const walk = async (entry) => {
      if (entry.isFile) {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        out.push({ file, name: entry.fullPath.replace(/^\//, "") });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
          if (!batch.length) break;
          for (const e of batch) await walk(e);
        }
      }
    };
    return (async () => {
      for (const e of entries) await walk(e);
      return out;
    })();
  }

  function skippedText(list) {
    if (!list.length) return "";
    const shown = list.slice(0, 8).join("; ");
    const more = list.length > 8 ? `; and ${fmt(list.length - 8)} more` : "";
    return `${plural(list.length, "file")} skipped: ${shown}${more}`.replace(/\.?$/, ".");
  }

  // userLoad builds the user's gallery from image files (File objects or
  // {file, name}) and a sentences file (null: the shipped sentences). The
  // previous gallery stays if anything fails.
  async function userLoad(files, sentencesFile = null) {
    const stops = U.stops;
    try {
      return await buildGallery(files, sentencesFile);
    } catch (err) {
      // a stopped engine: onUserFatal has said so
      if (!err.stopped && U.stops === stops) showMsg("u-msg", err.message, err.input ? "warn" : "error");
      throw err;
    }
  }

  async function buildGallery(files, sentencesFile) {
    if (!S.allReady) throw inputError("The engine is still loading; try again in a moment.");
    if (U.adapting || U.busy) throw inputError("Wait for the adaptation or the gallery being read to end.");
    const { images, others } = pickFiles(Array.from(files || []));
    const L = userLimits();
    if (images.length > L.images) {
      throw inputError(`That is ${fmt(images.length)} images: up to ${fmt(L.images)} are accepted. Choose fewer; your previous gallery is unchanged.`);
    }
    if (!images.length) {
      throw inputError(others.length ? `No images there: ${skippedText(others.map((n) => `${n} is not an image`))}` : "No images there: choose PNG, JPEG, GIF, WebP or BMP files.");
    }
    const wasAdapted = !!(U.info && U.info.adapted);
    U.busy = true;
    setUserInputs();
    showMsg("u-skipped", "");
    showMsg("u-msg", `Reading ${plural(images.length, "image")}${sentencesFile ? ` and “${sentencesFile.name}”` : ""}…`);
    showMsg("u-skipped", skippedText(others.map((n) => `${n} is not an image`)), "warn");
    try {
      const r = await request("userGallery", { files: images.map((x) => x.file), names: images.map((x) => x.name), sentences: sentencesFile });
      U.sentencesFile = sentencesFile;
      const skipped = others.map((n) => `${n} is not an image`).concat(r.skipped || []);
      await showOwnGallery(r);
      const replaced = wasAdapted && !r.adapted
        ? " The model adapted to your previous gallery was replaced by the shipped one (to keep an adapted model, download it before choosing new images)."
        : "";
      showMsg("u-msg", `Your gallery: ${plural(r.images, "image")} and ${plural(r.sentences, "sentence")}, embedded with ${r.adapted ? "your adapted model" : "the shipped model"}.${replaced}`, replaced ? "warn" : "");
      showMsg("u-skipped", skippedText(skipped), "warn");
      await userPersist();
      return { images: r.images, sentences: r.sentences, skipped };
    } finally {
      U.busy = false;
      setUserInputs();
    }
  }

  // userSetSentences gives the gallery other sentences (null: the shipped).
  async function userSetSentences(file) {
    const stops = U.stops;
    try {
      return await setSentences(file);
    } catch (err) {
      if (!err.stopped && U.stops === stops) showMsg("u-msg", err.message, err.input ? "warn" : "error");
      throw err;
    }
  }

  async function setSentences(file) {
    if (!U.info || !U.info.images) {
      U.sentencesFile = file;
      showSentencesNow();
      return null;
    }
    U.busy = true;
    setUserInputs();
    try {
      const r = await request("userSetSentences", { sentences: file });
      U.sentencesFile = file;
      await showOwnGallery(r);
      showMsg("u-msg", `Now ${plural(r.sentences, "sentence")}${file ? ` from “${file.name}”` : ", the shipped ones"}.`);
      await userPersist();
      return { images: r.images, sentences: r.sentences };
    } finally {
      U.busy = false;
      setUserInputs();
    }
  }

  function showSentencesNow() {
    const box = $("u-sentences-now");
    const name = U.info && U.info.images ? U.info.sentencesName : U.sentencesFile ? U.sentencesFile.name : "";
    if (!name) {
      box.replaceChildren("Sentences: the shipped ones.");
      return;
    }
    box.replaceChildren(`Sentences: “${name}”. `,
      el("button", { type: "button", class: "chip", onclick: () => userSetSentences(null).catch(() => {}) }, "Use the shipped sentences"));
  }

  async function showOwnGallery(info, note = "") {
    U.info = info;
    U.model = info.adapted ? info.model || U.model : null;
    const t = await request("userTiles");
    U.tiles = t.tiles;
    U.count = t.count;
    U.size = t.size;
    U.thumbs.clear();
    $("u-gallery").hidden = false;
    $("u-summary").textContent = `${plural(info.images, "image")}, ${plural(info.sentences, "sentence")} ` +
      `(${info.sentencesName ? `from “${info.sentencesName}”` : "the shipped ones"}) · model: ${info.adapted ? "adapted to your gallery" : "the shipped one"}${note ? " · " + note : ""}.`;
    $("u-q").placeholder = `Describe an image of your gallery, e.g. ${userSentence(0)}`;
    showSentencesNow();
    setUserInputs();
    userRunSearch();
  }

  function userClearView() {
    U.info = null;
    U.tiles = null;
    U.count = 0;
    U.model = null;
    U.thumbs.clear();
    U.restored = false;
    U.lastAdapt = null;
    $("u-gallery").hidden = true;
    $("u-compare").hidden = true;
    $("u-results").replaceChildren();
    $("u-sentence-results").replaceChildren();
    $("u-query").hidden = true;
    for (const id of ["u-msg", "u-skipped", "u-store-msg", "u-adapt-msg", "u-q-msg"]) showMsg(id, "");
    showSentencesNow();
    setUserInputs();
  }

  // ---- Searching it
  async function userSearch(q, k = S.k) {
    return (await request("userSearchText", { query: q, k })).hits;
  }

  function userRunSearch() {
    if (!U.info) return;
    const q = $("u-q").value;
    const seq = ++U.searchSeq;
    if (!q.trim()) {
      // no query yet: the first images, unranked
      const n = Math.min(U.count, S.k);
      $("u-results").replaceChildren(...Array.from({ length: n }, (_, i) => userCard(i, -1, null)));
      $("u-results").setAttribute("aria-label", `the first ${n} of your images`);
      $("u-results-note").textContent = `Your images${n < U.count ? ` (the first ${fmt(n)} of ${fmt(U.count)})` : ""}: describe one above to rank them, or click one to rank your sentences for it.`;
      showMsg("u-q-msg", "");
      return;
    }
    userSearch(q).then(
      (hits) => {
        if (seq !== U.searchSeq) return;
        showMsg("u-q-msg", "");
        $("u-results").replaceChildren(...hits.map(([i, s], r) => userCard(i, r, s)));
        $("u-results").setAttribute("aria-label", `${hits.length} of your images ranked for “${q}”`);
        $("u-results-note").textContent = "";
      },
      (err) => {
        if (seq !== U.searchSeq) return;
        $("u-results").replaceChildren();
        showMsg("u-q-msg", err.message, err.input ? "warn" : "error");
      },
    );
  }

  function userCard(i, r, s) {
    const name = userName(i);
    const b = el("button", { type: "button", class: "card", "data-index": String(i),
      "aria-label": `${r >= 0 ? `Rank ${r + 1}: ` : ""}${name}${s != null ? `, score ${s.toFixed(2)}` : ""}. Show its sentences.` },
    thumb(i, name),
    el("span", { class: "name", text: name.split("/").pop() }),
    r >= 0 ? el("span", { class: "meta" },
      el("span", { class: "rank", text: `#${r + 1}` }),
      el("span", { class: "bar", "aria-hidden": "true" }, el("i", { style: `width:${Math.max(0, s) * 100}%` })),
      s.toFixed(2)) : null);
    b.addEventListener("click", () => userShowImage(i));
    return el("li", {}, b);
  }

  async function userShowImage(i) {
    try {
      const r = await request("userImageTexts", { index: i, k: S.k });
      const img = $("u-query-img");
      img.src = U.thumbs.get(i) || thumb(i).src;
      img.alt = userName(i);
      $("u-query-caption").textContent = "your image";
      $("u-query-title").textContent = `Sentences for “${userName(i)}”`;
      $("u-query").hidden = false;
      renderUserSentences(r.hits);
    } catch (err) {
      showMsg("u-q-msg", err.message, err.input ? "warn" : "error");
    }
  }

  async function userSearchFile(file) {
    try {
      const r = await request("userSearchFile", { file, k: S.k });
      if (U.queryURL) URL.revokeObjectURL(U.queryURL);
      U.queryURL = URL.createObjectURL(file);
      const img = $("u-query-img");
      img.src = U.queryURL;
      img.alt = `your image ${file.name}`;
      $("u-query-caption").textContent = `${r.format.toUpperCase()} ${r.width} × ${r.height}`;
      $("u-query-title").textContent = `Sentences for “${file.name}”`;
      $("u-query").hidden = false;
      showMsg("u-q-msg", "");
      renderUserSentences(r.hits);
      return r.hits;
    } catch (err) {
      showMsg("u-q-msg", err.message, err.input ? "warn" : "error");
      throw err;
    }
  }

  function renderUserSentences(hits) {
    $("u-sentence-results").replaceChildren(...hits.map(([j, s], r) =>
      el("li", { class: "plain", "data-index": String(j) },
        el("span", { class: "rank", text: `#${r + 1}` }),
        el("span", { class: "text", text: userSentence(j) }),
        el("span", { class: "score", text: s.toFixed(2) }))));
  }

  // ---- Adapting
  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  }

  function onAdaptProgress(m) {
    U.lastProgress = m;
    if (m.phase) {
      U.adaptPhase = m.phase;
      // the gallery is being embedded with the adapted model: too late to cancel
      if (m.phase === "finish") $("u-cancel").disabled = true;
    }
    // the worker's times of the first step's start and of the last step's
    // end (bench/adapt: steps per second in the page)
    if (m.phase === "start") U.stepTimes = [m.elapsedMs, m.elapsedMs];
    if (m.phase === "step" && U.stepTimes) U.stepTimes[1] = m.elapsedMs;
    const p = $("u-adapt-progress");
    if (m.phase === "download") {
      $("u-adapt-step").textContent = "Downloading the adaptation data…";
      p.removeAttribute("value");
      return;
    }
    if (m.cancelled || m.phase === "done") return;
    p.max = Math.max(1, m.total);
    p.value = m.done;
    if (m.phase === "finish") {
      $("u-adapt-step").textContent = `Step ${fmt(m.done)} of ${fmt(m.total)} · embedding your gallery with the adapted model…`;
      $("u-adapt-left").textContent = "";
      return;
    }
    $("u-adapt-step").textContent = `Step ${fmt(m.done)} of ${fmt(m.total)}`;
    if (m.parts) $("u-adapt-loss").textContent = lossText(m.parts);
    $("u-adapt-left").textContent = m.done > 0 && m.done < m.total ? `about ${duration((m.elapsedMs / m.done) * (m.total - m.done))} left` : "";
  }

  // lossText prints the loss parts: con, adv and str (adv and str per
  // modality when the engine gives them so: adv_img, adv_txt, …).
  function lossText(p) {
    const n = (x) => (typeof x === "number" ? x.toFixed(3) : null);
    const out = [];
    for (const k of ["con", "adv", "str"]) {
      if (n(p[k])) out.push(`${k} ${n(p[k])}`);
      else if (n(p[k + "_img"]) || n(p[k + "_txt"])) out.push(`${k} ${[n(p[k + "_img"]) && "images " + n(p[k + "_img"]), n(p[k + "_txt"]) && "sentences " + n(p[k + "_txt"])].filter(Boolean).join(", ")}`);
    }
    return out.length ? "loss: " + out.join(" · ") : "";
  }

  // userAdapt adapts the model to the gallery; it resolves when done or
  // cancelled, with {done, total, cancelled}.
  async function userAdapt(options = {}) {
    if (!U.info || !U.info.images) throw inputError("Choose your images first: Adapt trains on your gallery.");
    if (U.adapting || U.busy) throw inputError("An adaptation or a gallery is already being made.");
    const fromButton = document.activeElement === $("u-adapt");
    const stops = U.stops;
    U.adapting = true;
    U.adaptPhase = "";
    U.cancelRequested = false;
    U.adaptSent = false;
    setUserInputs();
    if (fromButton) $("u-cancel").focus();
    showMsg("u-msg", "");
    showMsg("u-adapt-msg", "Adapting the model to your gallery… Searches wait until it ends; the page stays usable.");
    $("u-adapt-box").hidden = false;
    $("u-adapt-step").textContent = "Starting…";
    $("u-adapt-loss").textContent = "";
    $("u-adapt-left").textContent = "";
    const query = $("u-q").value.trim() || userSentence(0);
    let r;
    try {
      const before = await userSearch(query, 5).catch(() => null);
      if (U.cancelRequested) {
        // Cancel was pressed before the adaptation was asked for
        r = { cancelled: true, done: 0, total: 0 };
      } else {
        U.adaptSent = true;
        r = await request("adapt", { options });
      }
      if (r.cancelled) {
        showMsg("u-adapt-msg", `Cancelled${r.total ? ` at step ${fmt(r.done)} of ${fmt(r.total)}` : ""}: your gallery and the model are as they were.`);
        U.lastAdapt = { query, before, after: null, done: r.done, total: r.total, cancelled: true };
        return { done: r.done, total: r.total, cancelled: true };
      }
      U.model = r.model;
      U.info = r.info;
      const after = await userSearch(query, 5).catch(() => null);
      if (U.stops !== stops) throw Object.assign(new Error("the gallery engine stopped"), { stopped: true });
      U.lastAdapt = { query, before, after, done: r.done, total: r.total, cancelled: false, elapsedMs: r.elapsedMs };
      showCompare(query, before, after);
      $("u-summary").textContent = `${plural(U.info.images, "image")}, ${plural(U.info.sentences, "sentence")} ` +
        `(${U.info.sentencesName ? `from “${U.info.sentencesName}”` : "the shipped ones"}) · model: adapted to your gallery.`;
      const kept = await userPersist();
      showMsg("u-adapt-msg", `Adapted in ${duration(r.elapsedMs)} (${fmt(r.total)} steps); your gallery is now ranked with the adapted model` +
        (kept ? ", kept in this browser's storage." : "."));
      userRunSearch();
      return { done: r.done, total: r.total, cancelled: false };
    } catch (err) {
      if (err.stopped || U.stops !== stops) {
        // onUserFatal has said so in #u-msg
      } else showMsg("u-adapt-msg", `${err.message.replace(/\.?$/, ".")} Your gallery and the model are as they were.`, err.input ? "warn" : "error");
      throw err;
    } finally {
      const refocus = document.activeElement === $("u-cancel");
      U.adapting = false;
      U.adaptPhase = "";
      $("u-adapt-box").hidden = true;
      setUserInputs();
      if (refocus) $("u-adapt").focus();
    }
  }

  function userCancel() {
    if (!U.adapting) return Promise.resolve({ cancelled: false });
    $("u-adapt-step").textContent = "Cancelling…";
    U.cancelRequested = true;
    // Not asked for yet (the "before" search runs first): userAdapt sees
    // the flag and does not ask.
    if (!U.adaptSent) return Promise.resolve({ cancelled: true });
    return request("adaptCancel");
  }

  function showCompare(query, before, after) {
    const col = (hits) => (hits || []).map(([i, s], r) => el("li", {},
      el("div", { class: "card still", role: "img", "aria-label": `Rank ${r + 1}: ${userName(i)}, score ${s.toFixed(2)}` },
        thumb(i), el("span", { class: "name", text: userName(i).split("/").pop() }),
        el("span", { class: "meta" }, el("span", { class: "rank", text: `#${r + 1}` }), s.toFixed(2)))));
    $("u-compare-title").textContent = `Before and after adapting: the top 5 for “${query}”`;
    $("u-before").replaceChildren(...col(before));
    $("u-after").replaceChildren(...col(after));
    $("u-compare").hidden = false;
  }

  // ---- Keeping it in this browser (IndexedDB "aeir", store "user")
  // idbOpen opens the database (at its current version, or at version);
  // an upgrade makes the "user" store if it is missing.
  function idbOpen(version) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const open = version ? indexedDB.open("aeir", version) : indexedDB.open("aeir");
      open.onupgradeneeded = () => {
        try {
          const db = open.result;
          if (!db.objectStoreNames.contains("user")) db.createObjectStore("user");
        } catch (err) {
          fail(err);
          try {
            open.transaction.abort();
          } catch (_) {
            // already ending
          }
        }
      };
      open.onsuccess = () => {
        const db = open.result;
        if (settled) {
          db.close(); // opened after all, once the caller gave up
          return;
        }
        settled = true;
        db.onversionchange = () => db.close(); // never block another tab's upgrade
        resolve(db);
      };
      open.onerror = () => fail(open.error || new Error("IndexedDB could not be opened"));
      open.onblocked = () => fail(new Error("this browser's storage is held by another tab of this page; close it and try again"));
    });
  }

  async function idbDB() {
    if (!window.indexedDB) throw new Error("this browser has no IndexedDB");
    let db = await idbOpen();
    if (!db.objectStoreNames.contains("user")) {
      // a database "aeir" without the store (made by something else):
      // add the store in a new version
      const v = db.version + 1;
      db.close();
      db = await idbOpen(v);
      if (!db.objectStoreNames.contains("user")) {
        db.close();
        throw new Error("this browser's storage for this page has no place for the gallery and one could not be made");
      }
    }
    return db;
  }

  // idb runs fn(store) in a transaction on the "user" store and resolves
  // with its request's result once the transaction has completed.
  async function idb(mode, fn) {
    const db = await idbDB();
    return new Promise((resolve, reject) => {
      try {
        const tx = db.transaction("user", mode);
        const req = fn(tx.objectStore("user"));
        tx.oncomplete = () => {
          db.close();
          resolve(req.result);
        };
        tx.onerror = tx.onabort = () => {
          db.close();
          reject(tx.error || new Error("IndexedDB transaction failed"));
        };
      } catch (err) {
        db.close();
        reject(err);
      }
    });
  }
  const storedState = () => idb("readonly", (s) => s.get("state"));

  // userPersist stores the gallery (and the adapted model, if any); it
  // returns whether that worked.
  async function userPersist() {
    if (!U.info || !U.tiles) return false;
    try {
      await idb("readwrite", (s) => s.put({
        shipped: S.manifest.model.sha256,
        // Blobs: storing an ArrayBuffer of tens of MB would serialise it
        // on the main thread and block the page; a Blob is written aside.
        modelBytes: U.info.adapted && U.model ? new Blob([U.model]) : null,
        tiles: new Blob([U.tiles]),
        count: U.count,
        size: U.size,
        names: U.info.names,
        sentencesName: U.info.sentencesName || "",
        sentencesText: U.info.sentencesName ? U.info.sentencesText : null,
        savedAt: Date.now(),
      }, "state"));
      showMsg("u-store-msg", "");
      return true;
    } catch (err) {
      // What is stored is an earlier state, which would come back on the
      // next visit: remove it.
      const why = err.message || String(err);
      const removed = await idb("readwrite", (s) => s.delete("state")).then(() => true, () => false);
      showMsg("u-store-msg", removed
        ? `Your gallery could not be kept in this browser's storage (${why}): it works in this page until you leave it, and will not be here on your next visit.`
        : `Your gallery could not be kept in this browser's storage (${why}): it works in this page until you leave it. What was kept there before could not be removed either, so your next visit may bring back an earlier gallery.`, "warn");
      return false;
    }
  }

  // userRestoreStored restores the gallery kept in this browser, if any.
  // The gallery engine is only started when there is one.
  async function userRestoreStored() {
    if (U.busy || U.adapting) return;
    const stops = U.stops;
    // Busy from the start: a gallery chosen meanwhile would be overwritten.
    U.busy = true;
    setUserInputs();
    try {
      let st;
      try {
        st = await storedState();
      } catch (_) {
        return; // no storage: nothing to restore
      }
      if (!st) return;
      if (st.shipped !== S.manifest.model.sha256) {
        await idb("readwrite", (s) => s.delete("state")).catch(() => {});
        showMsg("u-msg", "The gallery kept in this browser was made with an earlier shipped model, so it was removed: choose your images again.", "warn");
        return;
      }
      showMsg("u-msg", "Restoring your gallery from this browser's storage…");
      const info = await request("userRestore", { state: st });
      U.restored = true;
      // the restored sentences, for the next choice of images
      U.sentencesFile = info.sentencesName ? new File([info.sentencesText || ""], info.sentencesName, { type: "text/plain" }) : null;
      await showOwnGallery(info, "restored from this browser's storage");
      showMsg("u-msg", `Restored from this browser's storage: ${plural(info.images, "image")}, ${plural(info.sentences, "sentence")}${info.adapted ? ", and your adapted model" : ""}.`);
    } catch (err) {
      if (err.stopped || U.stops !== stops) {
        // onUserFatal has said so in #u-msg
      } else showMsg("u-msg", `Your stored gallery could not be restored (${err.message}); choose your images again.`, "warn");
    } finally {
      U.busy = false;
      setUserInputs();
    }
  }

  // userForget removes the gallery from this browser and from the engine.
  async function userForget() {
    if (U.adapting) {
      showMsg("u-msg", "Cancel the adaptation first.", "warn");
      throw inputError("Cancel the adaptation first.");
    }
    const what = U.info && U.info.adapted ? "your gallery and your adapted model are" : "your gallery is";
    let err = null;
    await idb("readwrite", (s) => s.delete("state")).catch((e) => (err = e));
    await request("userClear");
    userClearView();
    showMsg("u-msg", err
      ? `Removed from this page; this browser's storage could not be cleared (${err.message}), so your next visit may bring ${what.startsWith("your gallery and") ? "them" : "it"} back.`
      : `Removed: ${what} gone from this page and from this browser's storage.`);
  }

  function userDownload() {
    if (!U.model) return;
    const a = el("a", { href: URL.createObjectURL(new Blob([U.model], { type: "application/octet-stream" })), download: "aeir-adapted.aeir" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  // ---- Wiring
  const userError = (id) => (err) => showMsg(id, err.message, err.input ? "warn" : "error");
  $("u-files").addEventListener("change", (e) => {
    const files = Array.from(e.target.files);
    e.target.value = "";
    if (files.length) userLoad(files, U.sentencesFile).catch(() => {});
  });
  $("u-folder").addEventListener("change", (e) => {
    const files = Array.from(e.target.files);
    e.target.value = "";
    if (files.length) userLoad(files, U.sentencesFile).catch(() => {});
  });
  $("u-sentences").addEventListener("change", (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (f) userSetSentences(f).catch(() => {});
  });
  $("u-query-file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    e.target.value = "";
    if (f) userSearchFile(f).catch(() => {});
  });
  $("u-search-form").addEventListener("submit", (e) => e.preventDefault());
  let userDebounce = 0;
  $("u-q").addEventListener("input", () => {
    clearTimeout(userDebounce);
    userDebounce = setTimeout(userRunSearch, 150);
  });
  $("u-q").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(userDebounce);
      userRunSearch();
    }
  });
  $("u-adapt").addEventListener("click", () => userAdapt({}).catch(() => {}));
  $("u-cancel").addEventListener("click", () => userCancel());
  $("u-download").addEventListener("click", userDownload);
  $("u-forget").addEventListener("click", () => userForget().catch(userError("u-msg")));
  // Drops on the panel build a gallery (the rest of the page searches with
  // one image, below).
  const inUser = (e) => !!(e.target && e.target.closest && e.target.closest("#user"));
  function userDrop(e) {
    $("u-drop").classList.remove("over");
    if (!e.dataTransfer) return;
    droppedFiles(e.dataTransfer).then(
      (files) => (files.length ? userLoad(files, U.sentencesFile).catch(() => {}) : showMsg("u-msg", "Drop image files or a folder of them (a picture dragged from another web page arrives as a link, not a file: save it first).", "warn")),
      (err) => showMsg("u-msg", `The dropped folder could not be read: ${err.message || err}`, "error"),
    );
  }
  setUserInputs();

  // ---- How it works: figure and results table ---------------------------------
  fetch("site/figures/figures.json", { cache: "no-cache" })
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}))
    .then((f) => {
      const tsne = $("tsne");
      if (f.tsne) {
        tsne.replaceChildren(el("img", { src: f.tsne, loading: "lazy", alt: "t-SNE maps of source and target embeddings before and after AEIR training: points coloured by domain, images as circles and sentences as triangles, showing how far the two vendors' embeddings come to overlap." }));
      } else {
        tsne.replaceChildren(el("div", { class: "placeholder" },
          el("strong", { text: "Figure pending" }),
          el("span", { text: "The domain-alignment t-SNE figure appears here once docs/figures/tsne.png exists (rebuild the site)." })));
      }
      const box = $("results-table");
      if (f.results) {
        const t = f.results;
        box.replaceChildren(el("div", { class: "table-wrap" }, el("table", {},
          el("thead", {}, el("tr", {}, ...t.header.map((h) => el("th", { text: h })))),
          el("tbody", {}, ...t.rows.map((row) => el("tr", {}, ...row.map((c) => el("td", { text: c }))))))));
      } else {
        box.replaceChildren(el("div", { class: "placeholder" },
          el("strong", { text: "Results table pending" }),
          el("span", { text: "The benchmark table (every method on every scenario) appears here once docs/results.md's benchmark table or docs/figures/results.md exists (rebuild the site)." })));
      }
    });

  // ---- Offline -------------------------------------------------------------------
  // Registered once the engine is ready (onAllReady): on a first visit the
  // service worker's precache would otherwise compete with the page's own
  // downloads.
  let swRegistered = false;
  function registerServiceWorker() {
    if (swRegistered) return;
    swRegistered = true;
    if ("serviceWorker" in navigator && location.protocol !== "file:") {
      navigator.serviceWorker.register("sw.js").then(
        () => navigator.serviceWorker.ready.then(() => ($("offline").textContent = "Offline use: ready — once loaded, this page works without a network.")),
        () => ($("offline").textContent = "Offline use: not available (no service worker at this address)."),
      );
    } else {
      $("offline").textContent = "Offline use: not available in this browser.";
    }
  }
  // A page a service worker already controls (a later visit) registers at
  // once: its files come from the cache, and a new build is found sooner.
  if ("serviceWorker" in navigator && navigator.serviceWorker.controller) registerServiceWorker();
  fetch("build.json", { cache: "no-cache" })
    .then((r) => (r.ok ? r.json() : null))
    .then((b) => {
      if (!b) return;
      $("build").textContent = `build ${b.version} · first load ${(b.CoreGzip / 1e6).toFixed(2)} MB gzip`;
      // "Your gallery" needs the user-gallery engine, which a site can be built without.
      if (Array.isArray(b.files) && !b.files.some((f) => f.path === "site/aeir-user.wasm")) $("user").hidden = true;
    })
    .catch(() => {});

  // ---- A small handle for tests and benchmarks -------------------------------
  window.aeirDemo = {
    state: () => ({ ready: S.ready, allReady: S.allReady, fatal: S.fatal, model: S.model, vendor: S.vendor, files: S.files, firstResultMs: S.firstResultMs, timings: S.timings, simd: S.simd }),
    lastSearch: () => lastSearch,
    request: (op, args) => request(op, args),
    names: () => (!S.corpus ? [] : S.files ? S.labels.slice() : S.corpus.map((c) => c.name)),
    // Panel 3, your gallery: the functions its buttons call.
    user: {
      load: (files, sentencesFile = null) => userLoad(files, sentencesFile),
      setSentences: (file) => userSetSentences(file),
      search: (q, k = 10) => userSearch(q, k),
      imageTexts: (index, k = 10) => request("userImageTexts", { index, k }).then((r) => r.hits),
      searchFile: (file, k = 10) => request("userSearchFile", { file, k }).then((r) => r.hits),
      adapt: (options = {}) => userAdapt(options),
      cancel: () => userCancel(),
      eval: (textImage) => request("userEval", { textImage: Array.from(textImage) }),
      tiles: () => request("userTiles"),
      info: () => request("userInfo"),
      clear: () => userForget(),
      stored: () => storedState().then((st) => !!st, () => false),
      restoreDone: () => U.restoreDone || Promise.resolve(),
      lastProgress: () => U.lastProgress,
      stepTimes: () => U.stepTimes || [],
      lastAdapt: () => U.lastAdapt,
      model: () => U.model,
      state: () => ({ images: U.info ? U.info.images : 0, sentences: U.info ? U.info.sentences : 0, adapted: !!(U.info && U.info.adapted), restored: U.restored, adapting: U.adapting, busy: U.busy }),
    },
  };
})();
