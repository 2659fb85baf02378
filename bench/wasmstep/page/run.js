// Runs a Go WebAssembly program (bench/torch built for GOOS=js) with the
// arguments of run.json, its matrix kernels SIMD or pure Go, and hands
// what it wrote to standard output and its exit code to the harness
// (window.runResult).
"use strict";
(async () => {
  const cfg = await (await fetch("run.json")).json();
  let out = "";
  const dec = new TextDecoder();
  const writeSync = globalThis.fs.writeSync;
  globalThis.fs.writeSync = function (fd, buf) {
    if (fd === 1) out += dec.decode(buf, { stream: true });
    return writeSync.call(this, fd, buf);
  };
  const go = new Go();
  go.argv = ["torch", ...cfg.args];
  let code = 0;
  go.exit = (c) => (code = c);
  const simd = AeirSIMD.link();
  go.importObject.aeirsimd = simd.imports;
  const inst = await WebAssembly.instantiateStreaming(fetch("prog.wasm"), go.importObject);
  if (cfg.simd) {
    const bytes = new Uint8Array(await (await fetch("simd.wasm")).arrayBuffer());
    if (!AeirSIMD.supported(bytes)) throw new Error("this browser has no WebAssembly SIMD");
    await simd.attach(await WebAssembly.compile(bytes), inst.instance.exports.mem);
  }
  await go.run(inst.instance);
  window.runResult = { out, code, simd: simd.on, userAgent: navigator.userAgent };
})().catch((e) => {
  window.runResult = { error: String((e && e.stack) || e) };
});
