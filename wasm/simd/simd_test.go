package simd

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestLEB128(t *testing.T) {
	for _, c := range []struct {
		v    uint64
		want []byte
	}{{0, []byte{0}}, {127, []byte{0x7f}}, {128, []byte{0x80, 0x01}}, {0xe6, []byte{0xe6, 0x01}}, {624485, []byte{0xe5, 0x8e, 0x26}}} {
		if got := uleb(nil, c.v); string(got) != string(c.want) {
			t.Errorf("uleb(%d) = % x, want % x", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		v    int64
		want []byte
	}{{0, []byte{0}}, {-1, []byte{0x7f}}, {63, []byte{0x3f}}, {64, []byte{0xc0, 0x00}}, {-64, []byte{0x40}}, {-65, []byte{0xbf, 0x7f}}, {-123456, []byte{0xc0, 0xbb, 0x78}}} {
		if got := sleb(nil, c.v); string(got) != string(c.want) {
			t.Errorf("sleb(%d) = % x, want % x", c.v, got, c.want)
		}
	}
}

// call is one kernel call the JavaScript harness makes, in order.
type call struct {
	Fn   string    `json:"fn"`
	Args []float64 `json:"args"`
}

// harness validates the module, instantiates it on a fresh memory holding
// mem, makes the calls and writes the memory back.
const harness = `
const fs = require("fs");
const [modFile, memFile, callsFile] = process.argv.slice(2);
const bytes = fs.readFileSync(modFile);
if (!WebAssembly.validate(bytes)) { console.error("module does not validate"); process.exit(3); }
const img = fs.readFileSync(memFile);
const memory = new WebAssembly.Memory({ initial: Math.ceil(img.length / 65536) });
new Uint8Array(memory.buffer).set(img);
const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
for (const c of JSON.parse(fs.readFileSync(callsFile, "utf8"))) inst.exports[c.fn](...c.args);
fs.writeFileSync(memFile, new Uint8Array(memory.buffer, 0, img.length));
`

// run executes calls on mem (little-endian float32s at byte addresses
// 4·index) in node, and returns the memory afterwards.
func run(t *testing.T, mem []float32, calls []call) []float32 {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (scripts/setup.sh installs it): the module cannot be run here")
	}
	dir := t.TempDir()
	files := map[string][]byte{"simd.wasm": Module(), "run.js": []byte(harness)}
	img := make([]byte, 4*len(mem))
	for i, v := range mem {
		binary.LittleEndian.PutUint32(img[4*i:], math.Float32bits(v))
	}
	files["mem.bin"] = img
	cj, err := json.Marshal(calls)
	if err != nil {
		t.Fatal(err)
	}
	files["calls.json"] = cj
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, filepath.Join(dir, "run.js"), filepath.Join(dir, "simd.wasm"), filepath.Join(dir, "mem.bin"), filepath.Join(dir, "calls.json"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	img, err = os.ReadFile(filepath.Join(dir, "mem.bin"))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, len(mem))
	for i := range got {
		got[i] = math.Float32frombits(binary.LittleEndian.Uint32(img[4*i:]))
	}
	return got
}

// TestKernelsMatchGo runs every kernel on random data, edge tiles
// included, and checks the result bit for bit against the same float32
// operations in Go (explicit conversions keep Go from fusing a multiply
// and an add).
func TestKernelsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type gemmCase struct{ kc, mc, nc, ldc int }
	cases := []gemmCase{{1, 4, 8, 8}, {7, 5, 13, 20}, {33, 12, 24, 24}, {256, 64, 40, 45}, {3, 1, 1, 1}, {10, 3, 7, 9}}
	var mem []float32
	alloc := func(n int) int {
		at := len(mem)
		for range n {
			mem = append(mem, float32(rng.NormFloat64()))
		}
		return at
	}
	var calls []call
	type gemmAt struct {
		gemmCase
		pa, pb, c, tmp int
		alpha          float32
		add            bool
	}
	var gemms []gemmAt
	for i, g := range cases {
		mp, np := (g.mc+MR-1)/MR*MR, (g.nc+NR-1)/NR*NR
		at := gemmAt{gemmCase: g, pa: alloc(mp * g.kc), pb: alloc(np * g.kc), c: alloc(g.mc * g.ldc), tmp: alloc(MR * NR), alpha: []float32{1, 0.5, -2, 1, 3, 1}[i], add: i%2 == 1}
		gemms = append(gemms, at)
		calls = append(calls, call{NameGemm, []float64{float64(g.kc), float64(g.mc), float64(g.nc), float64(4 * at.pa), float64(4 * at.pb), float64(4 * at.c), float64(g.ldc), float64(at.alpha), float64(4 * at.tmp), float64(i % 2)}})
		if i%2 == 0 { // overwritten: what C held does not matter, NaN included
			for r := range g.mc {
				for j := range g.nc {
					mem[at.c+r*g.ldc+j] = float32(math.NaN())
				}
			}
		}
	}
	// packB: 3 panels of 8 columns from a 9×30 matrix (ld 30), from column 2.
	const pkc, panels, ldb = 9, 3, 30
	pbSrc, pbDst := alloc(pkc*ldb), alloc(pkc*NR*panels)
	calls = append(calls, call{NamePackB, []float64{float64(4 * pbDst), float64(4 * (pbSrc + 2)), ldb, pkc, panels}})
	// relu over 12 of 14 values, with zeros of both signs and a NaN.
	rx, ry := alloc(14), alloc(14)
	mem[rx], mem[rx+1], mem[rx+2] = float32(math.Copysign(0, -1)), 0, float32(math.NaN())
	calls = append(calls, call{NameReLU, []float64{float64(4 * rx), float64(4 * ry), 12}})

	// maxPool2: planes 1 and 2 of three 5×18 planes (w/2 = 9: 8 windows a
	// row by the kernel), with ties.
	const ph, pw, np = 5, 18, 3
	px := alloc(np * ph * pw)
	for i := 0; i < np*ph*pw; i += 7 {
		mem[px+i+1] = mem[px+i]
	}
	pho, pwo := ph/2, pw/2
	py, parg := alloc(2*pho*pwo), alloc(2*pho*pwo)
	calls = append(calls, call{NamePool, []float64{float64(4 * px), float64(4 * py), float64(4 * parg), 1, 3, ph, pw}})

	// packBT: 2 panels of a transposed B, kc = 11 (two blocks of four and
	// three single p), rows of 15 floats (ldb), from row 1 and column 2.
	const tkc, tpanels, tldb = 11, 2, 15
	tSrc, tDst := alloc((1+NR*tpanels)*tldb), alloc(tkc*NR*tpanels)
	calls = append(calls, call{NamePackBT, []float64{float64(4 * tDst), float64(4 * (tSrc + tldb + 2)), tldb, tkc, tpanels}})

	// dots: 5 rows of 12; addBias over 8 of 10 floats.
	const dn, dd = 5, 12
	dq, dset, dout := alloc(dd), alloc(dn*dd), alloc(dn)
	calls = append(calls, call{NameDots, []float64{float64(4 * dq), float64(4 * dset), dn, dd, float64(4 * dout)}})
	bsrc, bdst := alloc(10), alloc(10)
	calls = append(calls, call{NameBias, []float64{float64(4 * bsrc), float64(4 * bdst), 8, 0.375}})

	// packA: 3 panels of 4 rows of an untransposed A, kc = 6, rows of 9.
	const akc, apanels, alda = 6, 3, 9
	aSrc, aDst := alloc(MR*apanels*alda), alloc(akc*MR*apanels)
	calls = append(calls, call{NamePackA, []float64{float64(4 * aDst), float64(4 * (aSrc + 1)), alda, akc, apanels}})

	// im2col, stride 1: 2 images of 2 channels, 5×6 with pad 1 and 6×7
	// with pad 0, 3×3 kernels.
	type i2c struct{ nimg, c, h, w, k, pad, x, col int }
	var ims []i2c
	for _, g := range []i2c{{nimg: 2, c: 2, h: 5, w: 6, k: 3, pad: 1}, {nimg: 1, c: 2, h: 6, w: 7, k: 3, pad: 0}} {
		ho, wo := g.h+2*g.pad-g.k+1, g.w+2*g.pad-g.k+1
		g.x, g.col = alloc(g.nimg*g.c*g.h*g.w), alloc(g.c*g.k*g.k*g.nimg*ho*wo)
		ims = append(ims, g)
		calls = append(calls, call{NameIm2col, []float64{float64(4 * g.x), float64(4 * g.col), float64(g.c), float64(g.h), float64(g.w), float64(g.k), float64(g.pad), float64(g.nimg)}})
	}
	// col2im of a random column matrix for the same shapes, into a cleared dx.
	var cims []i2c
	for _, g := range ims {
		ho, wo := g.h+2*g.pad-g.k+1, g.w+2*g.pad-g.k+1
		g.x, g.col = alloc(g.nimg*g.c*g.h*g.w), alloc(g.c*g.k*g.k*g.nimg*ho*wo)
		clear(mem[g.x : g.x+g.nimg*g.c*g.h*g.w])
		cims = append(cims, g)
		calls = append(calls, call{NameCol2im, []float64{float64(4 * g.x), float64(4 * g.col), float64(g.c), float64(g.h), float64(g.w), float64(g.k), float64(g.pad), float64(g.nimg)}})
	}

	// gemvT: one row of A against a transposed B, unpacked; edges in n and
	// kc, adding and overwriting (C NaN).
	type gemv struct {
		kc, n, ldw, x, w, c int
		alpha               float32
		add                 bool
	}
	var gemvs []gemv
	for _, g := range []gemv{{kc: 11, n: 10, ldw: 13, alpha: 0.5, add: true}, {kc: 8, n: 4, ldw: 8, alpha: 1}, {kc: 3, n: 6, ldw: 5, alpha: -1}} {
		g.x, g.w, g.c = alloc(g.kc), alloc(g.n*g.ldw), alloc(g.n)
		if !g.add {
			for j := range g.n {
				mem[g.c+j] = float32(math.NaN())
			}
		}
		gemvs = append(gemvs, g)
		add := 0.0
		if g.add {
			add = 1
		}
		calls = append(calls, call{NameGemvT, []float64{float64(g.kc), float64(g.n), float64(4 * g.x), float64(4 * g.w), float64(g.ldw), float64(4 * g.c), float64(g.alpha), add}})
	}

	want := append([]float32(nil), mem...)
	for _, g := range gemvs {
		for j := range g.n {
			var s float32
			for p := range g.kc {
				s = float32(s + float32(want[g.x+p]*want[g.w+j*g.ldw+p]))
			}
			base := float32(0)
			if g.add {
				base = want[g.c+j]
			}
			want[g.c+j] = float32(base + float32(g.alpha*s))
		}
	}
	for _, g := range cims {
		ho, wo := g.h+2*g.pad-g.k+1, g.w+2*g.pad-g.k+1
		o := g.col
		for ch := range g.c {
			for u := range g.k {
				for v := range g.k {
					for img := range g.nimg {
						for i := range ho {
							for j := range wo {
								r, cc := i-g.pad+u, j-g.pad+v
								if r >= 0 && r < g.h && cc >= 0 && cc < g.w {
									d := &want[g.x+((img*g.c+ch)*g.h+r)*g.w+cc]
									*d = float32(*d + want[o])
								}
								o++
							}
						}
					}
				}
			}
		}
	}
	for _, g := range ims {
		ho, wo := g.h+2*g.pad-g.k+1, g.w+2*g.pad-g.k+1
		o := g.col
		for ch := range g.c {
			for u := range g.k {
				for v := range g.k {
					for img := range g.nimg {
						for i := range ho {
							for j := range wo {
								r, cc := i-g.pad+u, j-g.pad+v
								want[o] = 0
								if r >= 0 && r < g.h && cc >= 0 && cc < g.w {
									want[o] = want[g.x+((img*g.c+ch)*g.h+r)*g.w+cc]
								}
								o++
							}
						}
					}
				}
			}
		}
	}
	for r := range apanels {
		for p := range akc {
			for i := range MR {
				want[aDst+r*akc*MR+p*MR+i] = want[aSrc+(r*MR+i)*alda+1+p]
			}
		}
	}
	for j := range dn {
		var s [4]float32
		for t := range dd {
			s[t%4] = float32(s[t%4] + float32(want[dq+t]*want[dset+j*dd+t]))
		}
		want[dout+j] = float32(float32(s[0]+s[1]) + float32(s[2]+s[3]))
	}
	for i := range 8 {
		want[bdst+i] = float32(want[bsrc+i] + 0.375)
	}
	for r := range tpanels {
		for p := range tkc {
			for j := range NR {
				want[tDst+r*tkc*NR+p*NR+j] = want[tSrc+(1+r*NR+j)*tldb+2+p]
			}
		}
	}
	o := 0
	for pl := 1; pl < 3; pl++ {
		base := pl * ph * pw
		for i := range pho {
			for j := range pwo {
				if j >= pwo&^3 {
					o++
					continue
				}
				x := want[px:]
				ia := base + 2*i*pw + 2*j
				av, bv := x[ia], x[ia+1]
				cv, dv := x[ia+pw], x[ia+pw+1]
				ib, ic := ia+1, ia+pw
				if bv > av {
					ia = ib
				}
				if dv > cv {
					ic++
				}
				ab, cd := max(av, bv), max(cv, dv)
				if cd > ab {
					ia = ic
				}
				want[py+o] = max(ab, cd)
				want[parg+o] = math.Float32frombits(uint32(int32(ia)))
				o++
			}
		}
	}
	for _, g := range gemms {
		for ir := 0; ir < g.mc; ir += MR {
			for jr := 0; jr < g.nc; jr += NR {
				for i := ir; i < min(ir+MR, g.mc); i++ {
					for j := jr; j < min(jr+NR, g.nc); j++ {
						var s float32
						for p := range g.kc {
							a := want[g.pa+ir*g.kc+p*MR+i-ir]
							b := want[g.pb+jr*g.kc+p*NR+j-jr]
							s = float32(s + float32(a*b))
						}
						c := &want[g.c+i*g.ldc+j]
						if g.add {
							*c = float32(*c + float32(g.alpha*s))
						} else {
							*c = float32(0 + float32(g.alpha*s))
						}
					}
				}
			}
		}
	}
	for r := range panels {
		for p := range pkc {
			for j := range NR {
				want[pbDst+r*pkc*NR+p*NR+j] = want[pbSrc+2+p*ldb+r*NR+j]
			}
		}
	}
	for i := range 12 {
		want[ry+i] = max(want[rx+i], 0)
	}

	got := run(t, mem, calls)
	skip := map[int]bool{} // the edge tiles' scratch: any content
	for _, g := range gemms {
		for i := range MR * NR {
			skip[g.tmp+i] = true
		}
	}
	bad := 0
	for i := range want {
		if skip[i] {
			continue
		}
		w, g := want[i], got[i]
		if math.Float32bits(w) != math.Float32bits(g) && !(w != w && g != g) {
			if bad < 10 {
				t.Errorf("float %d: got %v (%#x), want %v (%#x)", i, g, math.Float32bits(g), w, math.Float32bits(w))
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d floats differ", bad, len(want))
	}
	if got[ry] != 0 || math.Signbit(float64(got[ry])) {
		t.Errorf("relu(−0) = %v (sign bit %v), want +0", got[ry], math.Signbit(float64(got[ry])))
	}
}
