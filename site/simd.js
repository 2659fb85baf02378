// Links the Go engine (aeir.wasm) to its SIMD kernels (simd.wasm, written
// by package aeir/wasm/simd; see nn/simd_wasm.go). The kernels' module
// imports the Go instance's own memory, so it can only be instantiated
// after the engine; the engine imports the kernels (module "aeirsimd")
// when it is instantiated. So the engine gets thin wrappers that call the
// kernels' exports once attach has instantiated them, and its "ready"
// import tells Go, when it starts, whether they are there: with no
// kernels (no simd128 in the browser, or the SIMD path turned off) the Go
// side keeps its pure-Go kernels, which give the same results.
//
//   const simd = AeirSIMD.link();
//   go.importObject.aeirsimd = simd.imports;
//   const inst = await WebAssembly.instantiate(engineModule, go.importObject);
//   if (kernels) await simd.attach(kernels, inst.exports.mem); // before go.run
//   go.run(inst);
"use strict";
self.AeirSIMD = {
  // supported tells whether this browser can run the kernels' module
  // (simd128): it validates the module's bytes.
  supported(bytes) {
    try {
      return WebAssembly.validate(bytes);
    } catch (_) {
      return false;
    }
  },
  link() {
    let k = null;
    return {
      imports: {
        ready: () => (k ? 1 : 0),
        gemm: (kc, mc, nc, pa, pb, c, ldc, alpha, tmp, add) => k.gemm(kc, mc, nc, pa, pb, c, ldc, alpha, tmp, add),
        packB: (dst, b, ldb, kc, panels) => k.packB(dst, b, ldb, kc, panels),
        packBT: (dst, b, ldb, kc, panels) => k.packBT(dst, b, ldb, kc, panels),
        packA: (dst, a, lda, kc, panels) => k.packA(dst, a, lda, kc, panels),
        im2col: (x, col, c, h, w, ks, pad, n) => k.im2col(x, col, c, h, w, ks, pad, n),
        col2im: (dx, col, c, h, w, ks, pad, n) => k.col2im(dx, col, c, h, w, ks, pad, n),
        gemvT: (kc, n, x, w, ldw, c, alpha, add) => k.gemvT(kc, n, x, w, ldw, c, alpha, add),
        relu: (x, y, n) => k.relu(x, y, n),
        addBias: (src, dst, n, bias) => k.addBias(src, dst, n, bias),
        dots: (q, set, n, d, out) => k.dots(q, set, n, d, out),
        maxPool2: (x, y, arg, plo, phi, h, w) => k.maxPool2(x, y, arg, plo, phi, h, w),
      },
      // attach instantiates the compiled kernels on the engine's memory.
      async attach(module, memory) {
        k = (await WebAssembly.instantiate(module, { env: { memory } })).exports;
      },
      get on() {
        return k !== null;
      },
    };
  },
};
