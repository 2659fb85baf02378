package formats

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"aeir/data"
)

// pngSpec describes a PNG for rawPNG.
type pngSpec struct {
	w, h, colourType, depth int
	interlaced, trns        bool
	seed                    uint64 // 0: all-zero samples, which compress to little
	headerOnly              bool   // an empty IDAT: enough for image.DecodeConfig
}

// rawPNG writes a PNG by hand, row by row, so that large images cost the
// test no more than a row of memory, and so that the variants the
// standard encoder never writes (interlaced, tRNS, 16-bit grey) can be
// made.
func rawPNG(t testing.TB, sp pngSpec) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(sp.w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(sp.h))
	ihdr = append(ihdr, byte(sp.depth), byte(sp.colourType), 0, 0, 0)
	if sp.interlaced {
		ihdr[12] = 1
	}
	chunk(&out, "IHDR", ihdr)
	if sp.colourType == 3 {
		chunk(&out, "PLTE", bytes.Repeat([]byte{10, 200, 30}, 1<<min(sp.depth, 8)))
	}
	if sp.trns {
		chunk(&out, "tRNS", map[int][]byte{0: {0, 7}, 2: {0, 1, 0, 2, 0, 3}, 3: {0, 128, 255}}[sp.colourType])
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	rng := rand.New(rand.NewPCG(sp.seed, 1))
	channels := map[int]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[sp.colourType]
	for _, p := range passes(sp) {
		if sp.headerOnly {
			break
		}
		row := make([]byte, 1+(channels*sp.depth*p.X+7)/8)
		for range p.Y {
			if sp.seed != 0 {
				for i := 1; i < len(row); i++ {
					row[i] = byte(rng.Uint32())
				}
			}
			if _, err := zw.Write(row); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	chunk(&out, "IDAT", z.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes()
}

// passes returns the width and height of each non-empty pass: one for a
// plain PNG, the Adam7 ones for an interlaced one.
func passes(sp pngSpec) []image.Point {
	if !sp.interlaced {
		return []image.Point{{sp.w, sp.h}}
	}
	var ps []image.Point
	for _, a := range [][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		w, h := (sp.w-a[0]+a[2]-1)/a[2], (sp.h-a[1]+a[3]-1)/a[3]
		if w > 0 && h > 0 {
			ps = append(ps, image.Pt(w, h))
		}
	}
	return ps
}

func chunk(w *bytes.Buffer, typ string, body []byte) {
	_ = binary.Write(w, binary.BigEndian, uint32(len(body)))
	w.WriteString(typ)
	w.Write(body)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(body)
	_ = binary.Write(w, binary.BigEndian, crc.Sum32())
}

// totalAlloc returns the bytes f allocates, garbage included: an upper
// bound on what it holds at any moment.
func totalAlloc(f func()) int64 {
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return int64(b.TotalAlloc - a.TotalAlloc)
}

// A large 16-bit grey PNG, a small file, is refused by MaxDecodeBytes
// with a message naming the file, its dimensions, the estimate and the
// flag, before its pixels are decoded. (Issue item 5: such a file used to
// cost 2.7 GB.)
func TestDecodeBytesRefusesLargeGrey16(t *testing.T) {
	b := rawPNG(t, pngSpec{w: 8192, h: 8192, colourType: 0, depth: 16})
	if len(b) > 1<<20 {
		t.Fatalf("test PNG has %d bytes; it should compress to little", len(b))
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "img", "big.png"), b)
	writeFile(t, filepath.Join(dir, "pairs.csv"), []byte("image,text,domain\nimg/big.png,a big grey square,d\n"))
	lim := &Limits{MaxDecodeBytes: 64 << 20}
	var err error
	alloc := totalAlloc(func() { _, err = Load(filepath.Join(dir, "pairs.csv"), Options{Limits: lim}) })
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"pairs.csv:2", "img/big.png", "8192×8192", "16-bit grey PNG", "estimated to need", "more than the limit of 67108864 bytes", "Limits.MaxDecodeBytes", "-max-decode-bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if alloc > 16<<20 {
		t.Errorf("refusing allocated %d bytes: the pixels were decoded", alloc)
	}
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// jpegHeader is the start of a JFIF JPEG up to its frame header, enough
// for image.DecodeConfig: w×h with the given sampling factors (0x11: full
// resolution, 0x22: 2×2) of each component, baseline or progressive.
func jpegHeader(w, h int, progressive bool, sampling ...byte) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xc0}
	if progressive {
		b[len(b)-1] = 0xc2
	}
	b = binary.BigEndian.AppendUint16(b, uint16(8+3*len(sampling)))
	b = append(b, 8)
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	b = binary.BigEndian.AppendUint16(b, uint16(w))
	b = append(b, byte(len(sampling)))
	for i, s := range sampling {
		b = append(b, byte(i+1), s, 0)
	}
	return b
}

// The default limits admit camera photos up to 64 megapixels, whatever
// their JPEG flavour, and 8192² PNGs of any depth, and refuse what no
// photo needs.
func TestDefaultDecodeLimits(t *testing.T) {
	lim := DefaultLimits()
	png := func(w, h, ct, depth int, interlaced, trns bool) []byte {
		return rawPNG(t, pngSpec{w: w, h: h, colourType: ct, depth: depth, interlaced: interlaced, trns: trns, headerOnly: true})
	}
	for name, b := range map[string][]byte{
		"50 MP 3:2 baseline 4:2:0 JPEG":        jpegHeader(8688, 5792, false, 0x22, 0x11, 0x11),
		"50 MP 3:2 progressive 4:4:4 JPEG":     jpegHeader(8688, 5792, true, 0x11, 0x11, 0x11),
		"61 MP 3:2 progressive 4:2:0 JPEG":     jpegHeader(9504, 6336, true, 0x22, 0x11, 0x11),
		"12 MP progressive grey JPEG":          jpegHeader(4000, 3000, true, 0x11),
		"64 MP 16-bit grey PNG":                png(8192, 8192, 0, 16, false, false),
		"64 MP 16-bit grey PNG with tRNS":      png(8192, 8192, 0, 16, false, true),
		"64 MP 16-bit RGBA PNG":                png(8192, 8192, 6, 16, false, false),
		"64 MP interlaced 8-bit RGBA PNG":      png(8192, 8192, 6, 8, true, false),
		"16384×4096 interlaced 8-bit grey PNG": png(16384, 4096, 0, 8, true, false),
	} {
		if _, cost, err := inspectImage(b, 224, lim); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		} else {
			t.Logf("%-40s %s", name, mib(cost))
		}
	}
	for name, b := range map[string][]byte{
		"50 MP progressive CMYK JPEG":        jpegHeader(8688, 5792, true, 0x11, 0x11, 0x11, 0x11),
		"64 MP interlaced 16-bit RGBA PNG":   png(8192, 8192, 6, 16, true, false),
		"200 MP phone photo (over 64 Mi px)": jpegHeader(16320, 12240, false, 0x22, 0x11, 0x11),
		"16385 pixels a side":                jpegHeader(16385, 10, false, 0x11),
	} {
		if _, cost, err := inspectImage(b, 224, lim); err == nil {
			t.Errorf("%s: admitted at %s", name, mib(cost))
		}
	}
	// a transparent colour makes the decoder return 8-byte NRGBA64
	_, plain, _ := inspectImage(png(4096, 4096, 0, 16, false, false), 32, lim)
	_, trns, _ := inspectImage(png(4096, 4096, 0, 16, false, true), 32, lim)
	if trns < 3*plain {
		t.Errorf("16-bit grey: %d bytes with tRNS, %d without; want 4 times", trns, plain)
	}
}

// decodeCost is an upper bound of what decoding allocates, for every
// colour type and depth of PNG, for GIF and for baseline, progressive,
// grey and RGB JPEGs, and not a gross overestimate.
func TestDecodeCostBoundsAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes some megapixels")
	}
	cases := map[string][]byte{}
	for _, ct := range []int{0, 2, 3, 4, 6} {
		for _, depth := range []int{1, 8, 16} {
			if depth == 1 && ct != 0 && ct != 3 || depth == 16 && ct == 3 {
				continue
			}
			for _, il := range []bool{false, true} {
				for _, trns := range []bool{false, true} {
					if trns && (ct == 4 || ct == 6) {
						continue
					}
					b := rawPNG(t, pngSpec{w: 701, h: 483, colourType: ct, depth: depth, interlaced: il, trns: trns, seed: 3})
					cases[describeImage(b, "png", image.Config{})+map[bool]string{true: " tRNS"}[trns]] = b
				}
			}
		}
	}
	m := image.NewRGBA(image.Rect(0, 0, 701, 483))
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range m.Pix {
		m.Pix[i] = byte(rng.Uint32())
	}
	var jb, gb bytes.Buffer
	_ = jpeg.Encode(&jb, m, nil)
	_ = gif.Encode(&gb, m, nil)
	cases["baseline JPEG 4:2:0"], cases["GIF"] = jb.Bytes(), gb.Bytes()
	ents, _ := os.ReadDir(filepath.Join("testdata", "images"))
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", "images", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		cases[e.Name()] = b
	}
	for name, b := range cases {
		for _, size := range []int{32, 224} {
			cfg, cost, err := inspectImage(b, size, DefaultLimits())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var derr error
			got := totalAlloc(func() { _, derr = decodeInspected(b, cfg, size, DefaultLimits()) })
			if derr != nil {
				t.Fatalf("%s: %v", name, derr)
			}
			t.Logf("%-32s size %3d: allocated %9d, estimate %9d (%.2f×)", name, size, got, cost, float64(cost)/float64(got))
			if got > cost {
				t.Errorf("%s at size %d: allocated %d bytes, more than the estimate %d", name, size, got, cost)
			}
			if cost > 3*got+2*decoderOverhead {
				t.Errorf("%s at size %d: estimate %d is over 3 times the %d allocated", name, size, cost, got)
			}
		}
	}
}

// However many goroutines ask, a budget never grants more than its
// capacity at once, except to one request larger than it, which then
// holds it alone; and every request is served.
func TestBudgetNeverExceeded(t *testing.T) {
	const capacity = 1000
	b := newBudget(capacity)
	var held, violations atomic.Int64
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 5))
			for range 300 {
				n := 1 + rng.Int64N(capacity/3)
				if rng.IntN(50) == 0 {
					n = capacity + rng.Int64N(capacity)
				}
				b.acquire(n)
				now := held.Add(n)
				if now > capacity && now != n {
					violations.Add(1)
				}
				runtime.Gosched()
				held.Add(-n)
				b.release(n)
			}
		}()
	}
	if !waitOrHang(&wg, time.Minute) {
		t.Fatal("budget requests still waiting after a minute: deadlock")
	}
	if v := violations.Load(); v > 0 {
		t.Errorf("%d times more than the capacity was held with other requests", v)
	}
	if b.used != 0 || b.peak < capacity {
		t.Errorf("used %d after all released, peak %d", b.used, b.peak)
	}
}

// waitOrHang waits for wg, or reports false after d: a hang check, not a
// timing assertion.
func waitOrHang(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// decodeAll's workers hold the in-flight budget while they decode: with
// room for two images, no more than two are decoded at once, though
// eight workers run; and an image larger than the budget (but within
// MaxDecodeBytes) is decoded, alone.
func TestDecodeAllInFlightBudget(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	small := rawPNG(t, pngSpec{w: 300, h: 200, colourType: 2, depth: 8, seed: 1})
	big := rawPNG(t, pngSpec{w: 900, h: 600, colourType: 6, depth: 16, seed: 2})
	_, cs, _ := inspectImage(small, 8, DefaultLimits())
	_, cb, _ := inspectImage(big, 8, DefaultLimits())
	capacity := 2*cs + cs/2 // two small ones fit, not three, nor the big one
	if cb <= capacity {
		t.Fatalf("big image costs %d, within the capacity %d", cb, capacity)
	}
	files := map[string][]byte{"small.png": small, "big.png": big}
	read := func(path string, max int64) ([]byte, error) { return files[path], nil }
	var jobs []imgJob
	for i := range 40 {
		name := "small.png"
		if i == 20 {
			name = "big.png"
		}
		jobs = append(jobs, imgJob{path: name, dst: [][]uint8{make([]uint8, 8*8*4)},
			fail: func(problem, fix string, err error) *Error { return &Error{File: "t", Problem: problem, Err: err} }})
	}
	lim := (&Limits{MaxDecodeInFlight: capacity}).withDefaults()
	if err := decodeAll(jobs, read, 8, lim); err != nil {
		t.Fatal(err)
	}
	b := budgetFor(capacity)
	if b.used != 0 || b.peak != cb {
		t.Errorf("peak %d held at once, want the big image's %d alone (small %d, capacity %d)", b.peak, cb, cs, capacity)
	}
	// without the big one, the peak is two small ones: parallel, bounded
	jobs = append(jobs[:20], jobs[21:]...)
	lim.MaxDecodeInFlight++
	if err := decodeAll(jobs, read, 8, lim); err != nil {
		t.Fatal(err)
	}
	if p := budgetFor(capacity + 1).peak; p > capacity+1 || p < cs {
		t.Errorf("peak %d held at once with capacity %d and images of %d", p, capacity+1, cs)
	}
}

// The header parsers never fail on what image.DecodeConfig accepts, and
// never panic on anything.
func FuzzImageHeader(f *testing.F) {
	f.Add(jpegHeader(10, 10, true, 0x22, 0x11, 0x11))
	f.Add(rawPNG(f, pngSpec{w: 3, h: 2, colourType: 3, depth: 8, trns: true}))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pngHeader(b)
		jpegFrame(b)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > 1<<30 {
			return
		}
		if c := decodeCost(b, format, cfg, 8); c < int64(len(b))+int64(cfg.Width)*int64(cfg.Height) {
			t.Fatalf("cost %d below the file and a byte a pixel", c)
		}
		_ = describeImage(b, format, cfg)
	})
}

// decodeImage gives the bytes data.Resize (or data.ToNRGBA, at the
// image's own size) gives of the decoded image's centred square, copied
// out pixel by pixel: this checks the crop, the identity case and the
// row conversion of every image type the decoders return; data's
// FuzzResizeMatchesReference checks the resize itself against the
// whole-image reference.
func FuzzDecodeMatchesDataResize(f *testing.F) {
	f.Add(rawPNG(f, pngSpec{w: 9, h: 5, colourType: 6, depth: 16, interlaced: true, seed: 1}), 3)
	f.Add(rawPNG(f, pngSpec{w: 4, h: 7, colourType: 0, depth: 2, trns: true, seed: 2}), 5)
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		size = 1 + int(uint(size)%9)
		pix, err := decodeImage(b, size, fuzzLimits)
		if err != nil {
			return
		}
		m, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decodeImage succeeded, image.Decode: %v", err)
		}
		r := m.Bounds()
		s := min(r.Dx(), r.Dy())
		sq := image.Rect(0, 0, s, s).Add(r.Min).Add(image.Pt((r.Dx()-s)/2, (r.Dy()-s)/2))
		crop := image.NewNRGBA(image.Rect(0, 0, s, s))
		for y := range s {
			for x := range s {
				crop.Set(x, y, color.NRGBAModel.Convert(m.At(sq.Min.X+x, sq.Min.Y+y)))
			}
		}
		want := crop.Pix
		if r.Dx() != size || r.Dy() != size {
			want = data.Resize(crop, size, size).Pix
		}
		if !bytes.Equal(pix, want) {
			t.Fatalf("decodeImage differs from data.Resize of the square")
		}
	})
}
