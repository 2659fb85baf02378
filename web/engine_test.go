package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"

	"aeir/data"
	"aeir/model"
	"aeir/nn"
)

// testModel returns a small random model and its file in dtype dt.
func testModel(t testing.TB, dt nn.Dtype) (*model.Model, []byte) {
	return testModelFit(t, dt, false)
}

// testModelFit is testModel with Config.Fit set to fit.
func testModelFit(t testing.TB, dt nn.Dtype, fit bool) (*model.Model, []byte) {
	t.Helper()
	cfg := model.DefaultConfig()
	cfg.Channels = []int{4, 8}
	cfg.Tokenizer.Buckets = 512
	cfg.TextEmbed, cfg.TextHidden, cfg.Dim = 16, 32, 24
	cfg.Fit = fit
	m, err := model.New(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	meta := model.Meta{Version: model.FileVersion, Config: cfg, Method: "source-only", Scenario: "twemoji/en→openmoji/en", Dataset: "test"}
	b, _ := json.Marshal(meta)
	var buf bytes.Buffer
	if err := nn.SaveAs(&buf, b, m.Tensors(), dt); err != nil {
		t.Fatal(err)
	}
	return m, buf.Bytes()
}

// testImages returns n 32×32 images of coloured squares.
func testImages(n int) *data.Images {
	im := &data.Images{W: 32, H: 32}
	for i := range n {
		m := image.NewNRGBA(image.Rect(0, 0, 32, 32))
		c := color.NRGBA{uint8(40 * i), uint8(255 - 30*i), uint8(90 * i), 255}
		for y := 4 + i%5; y < 20+i%9; y++ {
			for x := 3 + i%7; x < 28-i%4; x++ {
				m.SetNRGBA(x, y, c)
			}
		}
		im.Append(m)
	}
	return im
}

var testTexts = []string{"red heart: love", "dog face: pet, puppy", "rocket: space", "slice of pizza: cheese", "sun: bright", "flag: Japan"}

func testEngine(t testing.TB) (*Engine, *model.Model) {
	t.Helper()
	m, file := testModel(t, nn.Float16)
	e, err := NewEngine("model.aeir", file)
	if err != nil {
		t.Fatal(err)
	}
	im := testImages(len(testTexts))
	g, err := EncodeGallery(GalleryMeta{Vendor: "openmoji", Count: im.N, Dim: e.Info().Dim, ModelSHA256: e.Info().SHA256}, e.Model().EncodeImages(im), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetGallery("gallery.aeir", g); err != nil {
		t.Fatal(err)
	}
	link := make([]int, len(testTexts))
	for i := range link {
		link[i] = i
	}
	if err := e.SetTexts(testTexts, link); err != nil {
		t.Fatal(err)
	}
	return e, m
}

func TestEngineInfoAndSearch(t *testing.T) {
	e, _ := testEngine(t)
	in := e.Info()
	if in.Method != "source-only" || in.Dim != 24 || in.ImageSize != 32 || len(in.SHA256) != 64 || in.Params != e.Model().Config.NumParams() {
		t.Fatalf("info %+v", in)
	}
	hits, err := e.SearchText("red heart", 3)
	if err != nil || len(hits) != 3 {
		t.Fatalf("%v %v", hits, err)
	}
	for r := 1; r < len(hits); r++ {
		if hits[r].Score > hits[r-1].Score {
			t.Fatalf("not sorted: %v", hits)
		}
	}
	// k is clamped to the gallery and to MaxK.
	if hits, _ := e.SearchText("dog", 1000); len(hits) != len(testTexts) {
		t.Fatalf("k clamp: %d hits", len(hits))
	}
	// The query's score for image i is the dot product of the embeddings,
	// corrected by the hubness terms (HubK = 1: the largest dot product of
	// image i with a corpus sentence, and of the query with an image),
	// computed here from scratch.
	v, _ := e.EncodeText("red heart")
	d := in.Dim
	gal := e.GalleryEmbeddings()
	tv := e.Model().EncodeTexts(testTexts)
	dot := func(a, b []float32) float32 {
		var s float32
		for k := range a {
			s += a[k] * b[k]
		}
		return s
	}
	hq := float32(math.Inf(-1))
	for i := range len(testTexts) {
		hq = max(hq, dot(v, gal[i*d:(i+1)*d]))
	}
	for _, h := range hits {
		hi := float32(math.Inf(-1))
		for j := range testTexts {
			hi = max(hi, dot(gal[h.Index*d:(h.Index+1)*d], tv[j*d:(j+1)*d]))
		}
		want := dot(v, gal[h.Index*d:(h.Index+1)*d]) - (hi-hq)/2
		if math.Abs(float64(want-h.Score)) > 1e-5 {
			t.Fatalf("score %v, want %v (hubness-corrected dot product)", h.Score, want)
		}
	}
	// Image → image is the plain dot product.
	px := testImages(len(testTexts))
	sim, err := e.SimilarImages(px.Pix[:32*32*4], 32, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	q := e.Model().EncodeImages(px.Subset([]int{0}))
	if s := dot(q, gal[sim[0].Index*d:(sim[0].Index+1)*d]); math.Abs(float64(s-sim[0].Score)) > 1e-5 {
		t.Fatalf("image → image score %v, dot %v", sim[0].Score, s)
	}
	// Image → sentences, with the rank of the image's own sentence.
	th, rank, err := e.ImageTexts(2, 6)
	if err != nil || len(th) != 6 || rank < 1 || rank > 6 {
		t.Fatalf("%v rank %d %v", th, rank, err)
	}
	for r, h := range th {
		if h.Index == 2 && r+1 != rank {
			t.Fatalf("own sentence at %d, rank says %d", r+1, rank)
		}
	}
	if _, _, err := e.ImageTexts(99, 3); err == nil {
		t.Fatal("image out of range accepted")
	}
}

func TestQueryErrors(t *testing.T) {
	e, _ := testEngine(t)
	for _, c := range []struct{ q, want string }{
		{"", "Type a few words"},
		{"   \t", "Type a few words"},
		{strings.Repeat("a", 10000), "10,000 characters long; the limit is 1,000"},
		{"🐶❤️", "no words"},
		{"!!! ??? …", "no words"},
	} {
		_, err := e.SearchText(c.q, 5)
		if err == nil || !IsInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("query %.20q: %v (want an input error containing %q)", c.q, err, c.want)
		}
	}
	// The limit counts characters, not bytes.
	if _, err := e.SearchText(strings.Repeat("é", MaxQueryRunes), 5); err != nil {
		t.Errorf("%d accented characters: %v", MaxQueryRunes, err)
	}
}

func TestModelFileErrors(t *testing.T) {
	_, file := testModel(t, nn.Float16)
	flip := bytes.Clone(file)
	flip[len(flip)-40] ^= 1
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"html", []byte("<!doctype html><title>404</title>"), "not an AEIR model"},
		{"empty", nil, "is empty"},
		{"flipped", flip, "is corrupted"},
		{"truncated", file[:len(file)/2], "is incomplete"},
	} {
		_, err := NewEngine("model.aeir", c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "model.aeir ") {
			t.Errorf("%s: %v (want %q)", c.name, err, c.want)
		}
	}
}

func TestGalleryFile(t *testing.T) {
	e, _ := testEngine(t)
	emb := e.GalleryEmbeddings()
	g, err := EncodeGallery(GalleryMeta{Vendor: "noto", Count: 6, Dim: 24, ModelSHA256: e.Info().SHA256}, emb, nil)
	if err != nil {
		t.Fatal(err)
	}
	meta, got, hubs, err := DecodeGallery(g)
	if err != nil || meta.Vendor != "noto" || meta.Kind != GalleryKind || len(got) != len(emb) || hubs != nil || meta.Hub != nil {
		t.Fatalf("%+v %v", meta, err)
	}
	for i := range got { // float16 of float16 values: exact
		if got[i] != emb[i] {
			t.Fatalf("value %d: %v vs %v", i, got[i], emb[i])
		}
	}
	// Another model's gallery, a damaged one, a model file instead.
	other, _ := EncodeGallery(GalleryMeta{Vendor: "noto", Count: 6, Dim: 24, ModelSHA256: strings.Repeat("0", 64)}, emb, nil)
	if err := e.SetGallery("g.aeir", other); err == nil || !strings.Contains(err.Error(), "another model") {
		t.Errorf("other model: %v", err)
	}
	bad := bytes.Clone(g)
	bad[len(bad)-33] ^= 4
	if err := e.SetGallery("g.aeir", bad); err == nil || !strings.Contains(err.Error(), "corrupted") {
		t.Errorf("damaged: %v", err)
	}
	_, mf := testModel(t, nn.Float32)
	if err := e.SetGallery("g.aeir", mf); err == nil || !strings.Contains(err.Error(), "not a gallery") {
		t.Errorf("model as gallery: %v", err)
	}
	if _, err := EncodeGallery(GalleryMeta{Count: 2, Dim: 3}, make([]float32, 5), nil); err == nil {
		t.Error("wrong size accepted")
	}
}

// TestEncodeImageMatchesTraining checks that an image query goes through
// the training pipeline: a 32×32 tile gives exactly the embedding
// EncodeImages gives it, and the same tile at 64×64 (each pixel doubled)
// scales back to it exactly.
func TestEncodeImageMatchesTraining(t *testing.T) {
	e, m := testEngine(t)
	im := testImages(3)
	want := e.Model().EncodeImages(im)
	_ = m
	d := e.Info().Dim
	for i := range im.N {
		tile := im.Pix[i*32*32*4 : (i+1)*32*32*4]
		got, err := e.EncodeImage(tile, 32, 32)
		if err != nil {
			t.Fatal(err)
		}
		big := make([]uint8, 64*64*4)
		for y := range 64 {
			for x := range 64 {
				copy(big[(y*64+x)*4:], tile[((y/2)*32+x/2)*4:((y/2)*32+x/2)*4+4])
			}
		}
		got2, err := e.EncodeImage(big, 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		for k := range d {
			if got[k] != want[i*d+k] || got2[k] != want[i*d+k] {
				t.Fatalf("image %d dim %d: %v, %v, want %v", i, k, got[k], got2[k], want[i*d+k])
			}
		}
	}
	// A wide image is centred on a square: 32×16 becomes 32×32 with
	// transparent bands above and below.
	wide := make([]uint8, 32*16*4)
	copy(wide, im.Pix[8*32*4:24*32*4]) // rows 8…23 of image 0
	sq := make([]uint8, 32*32*4)
	copy(sq[8*32*4:], wide)
	a, _ := e.EncodeImage(wide, 32, 16)
	b, _ := e.EncodeImage(sq, 32, 32)
	for k := range d {
		if a[k] != b[k] {
			t.Fatal("a wide image is not centred on a square")
		}
	}
	// Errors.
	if _, err := e.EncodeImage(make([]uint8, 8*8*4), 8, 8); err == nil || !IsInput(err) || !strings.Contains(err.Error(), "transparent") {
		t.Errorf("transparent: %v", err)
	}
	if _, err := e.EncodeImage(make([]uint8, 10), 8, 8); err == nil || IsInput(err) {
		t.Errorf("short pixels: %v", err)
	}
	if _, err := e.EncodeImage(nil, MaxEncodeSide+1, 1); err == nil || !IsInput(err) {
		t.Errorf("too wide: %v", err)
	}
	hits, err := e.SearchImage(im.Pix[:32*32*4], 32, 32, 4)
	if err != nil || len(hits) != 4 {
		t.Fatalf("%v %v", hits, err)
	}
}

func TestEncodeGalleryMatchesPrecomputed(t *testing.T) {
	e, _ := testEngine(t)
	pre := append([]float32(nil), e.GalleryEmbeddings()...)
	calls := 0
	if err := e.EncodeGallery("openmoji", testImages(len(testTexts)), func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("no progress")
	}
	// The precomputed file holds float16 values of the same embeddings.
	got := e.GalleryEmbeddings()
	for i := range got {
		if math.Abs(float64(got[i]-pre[i])) > 1e-3 {
			t.Fatalf("value %d: %v vs precomputed %v", i, got[i], pre[i])
		}
	}
	// Tiles of another size (the page's 32-px sprites for a 64-px model)
	// are scaled to the model's input as the data set is.
	small := testImages(len(testTexts)).Scaled(16)
	back := small.Scaled(32)
	if err := e.EncodeGallery("x", small, nil); err != nil {
		t.Fatal(err)
	}
	want := e.Model().EncodeImages(back)
	if d := maxAbsDiff(e.GalleryEmbeddings(), want); d > 1e-6 {
		t.Errorf("16-px tiles: embeddings differ from the 32-px scaled tiles' by %g", d)
	}
	if err := e.EncodeGallery("x", &data.Images{N: 1, Dim: 3, Feat: make([]float32, 3)}, nil); err == nil || !strings.Contains(err.Error(), "reads pixels") {
		t.Errorf("a gallery of features: error %v", err)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestCheckImageFile(t *testing.T) {
	png6000 := pngHeader(6000, 6000)
	if _, err := CheckImageFile("big.png", 120000, png6000); err == nil || !IsInput(err) ||
		!strings.Contains(err.Error(), "“big.png” is 6,000 × 6,000 pixels") {
		t.Errorf("6000×6000: %v", err)
	}
	if info, err := CheckImageFile("ok.png", 1000, pngHeader(640, 480)); err != nil || info.Width != 640 || info.Format != "png" {
		t.Errorf("640×480: %+v %v", info, err)
	}
	if _, err := CheckImageFile("notes.txt", 12, []byte("hello, world")); err == nil || !strings.Contains(err.Error(), "not an image") {
		t.Errorf("text file: %v", err)
	}
	if _, err := CheckImageFile("empty.png", 0, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty: %v", err)
	}
	if _, err := CheckImageFile("huge.png", MaxFileBytes+1, pngHeader(10, 10)); err == nil || !strings.Contains(err.Error(), "MB") {
		t.Errorf("huge file: %v", err)
	}
	if err := CheckDims("x", 4096, 4096); err != nil {
		t.Errorf("4096²: %v", err)
	}
	if err := CheckDims("x", 4097, 10); err == nil {
		t.Error("4097 wide accepted")
	}
}

func TestErrorsAreInputOrNot(t *testing.T) {
	if IsInput(errors.New("x")) || !IsInput(inputErr("y")) {
		t.Fatal("IsInput")
	}
	if thousands(1234567) != "1,234,567" || thousands(999) != "999" || thousands(-1000) != "-1,000" {
		t.Fatal(thousands(1234567), thousands(-1000))
	}
}

// TestEncodeImageFits checks the upload path of a model that fits its
// images: a tile of the model's size is encoded exactly as training
// encodes it (EncodeImages); a larger image is cropped to its content at
// full resolution, so the same drawing pasted anywhere on a transparent
// canvas gives the same embedding, which a model without fitting does
// not.
func TestEncodeImageFits(t *testing.T) {
	for _, fit := range []bool{true, false} {
		_, file := testModelFit(t, nn.Float32, fit)
		e, err := NewEngine("model.aeir", file)
		if err != nil {
			t.Fatal(err)
		}
		if e.Info().Fit != fit {
			t.Fatalf("info says fit %v", e.Info().Fit)
		}
		im := testImages(3)
		want := e.Model().EncodeImages(im)
		d := e.Info().Dim
		for i := range im.N {
			got, err := e.EncodeImage(im.Pix[i*32*32*4:(i+1)*32*32*4], 32, 32)
			if err != nil {
				t.Fatal(err)
			}
			for k := range d {
				if got[k] != want[i*d+k] {
					t.Fatalf("fit %v, tile %d: upload embeds differently from training", fit, i)
				}
			}
		}
		tile := im.Pix[32*32*4 : 2*32*32*4]
		const w, h = 90, 50
		paste := func(x, y int) []float32 {
			canvas := make([]uint8, w*h*4)
			for r := range 32 {
				copy(canvas[((r+y)*w+x)*4:], tile[r*32*4:(r+1)*32*4])
			}
			emb, err := e.EncodeImage(canvas, w, h)
			if err != nil {
				t.Fatal(err)
			}
			return emb
		}
		a, c := paste(47, 11), paste(3, 17)
		same := true
		for k := range a {
			same = same && a[k] == c[k]
		}
		if same != fit {
			t.Errorf("fit %v: the tile pasted at two places gives the same embedding: %v", fit, same)
		}
	}
}

// TestGalleryHubs checks the precomputed hubness terms of a gallery file:
// an engine with the same corpus ranks with them as stored, one with
// another corpus computes its own, and a file whose terms do not match
// its header is refused.
func TestGalleryHubs(t *testing.T) {
	e, _ := testEngine(t)
	emb := slices.Clone(e.GalleryEmbeddings())
	meta := GalleryMeta{Vendor: "openmoji", Count: len(testTexts), Dim: e.Info().Dim, ModelSHA256: e.Info().SHA256}
	file, err := e.GalleryWithHubs(meta, emb)
	if err != nil {
		t.Fatal(err)
	}
	got, _, stored, err := DecodeGallery(file)
	if err != nil || stored == nil || got.Hub.K != HubK || got.Hub.Sentences != len(testTexts) || got.Hub.CorpusSHA256 != CorpusHash(testTexts) {
		t.Fatalf("%+v %v %v", got.Hub, stored, err)
	}
	// a fresh engine, corpus first (as export) or gallery first (as the page)
	_, mf := testModel(t, nn.Float16)
	for _, galleryFirst := range []bool{false, true} {
		f, err := NewEngine("model.aeir", mf)
		if err != nil {
			t.Fatal(err)
		}
		steps := []func() error{
			func() error { return f.SetTexts(testTexts, nil) },
			func() error { return f.SetGallery("g.aeir", file) },
		}
		if galleryFirst {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, s := range steps {
			if err := s(); err != nil {
				t.Fatal(err)
			}
		}
		h, _ := f.Hubs()
		if !slices.Equal(h.Images, stored.Images) || !slices.Equal(h.Sentences, stored.Sentences) {
			t.Errorf("gallery first %v: the engine does not rank with the stored terms", galleryFirst)
		}
		// another corpus: the stored terms do not apply
		other := append(slices.Clone(testTexts), "umbrella: rain")
		if err := f.SetTexts(other, nil); err != nil {
			t.Fatal(err)
		}
		if h, _ := f.Hubs(); len(h.Sentences) != len(other) {
			t.Errorf("another corpus: %d sentence terms for %d sentences", len(h.Sentences), len(other))
		}
	}
	// header and terms that disagree
	bad := meta
	bad.Hub = &HubHeader{K: HubK, Sentences: 3, CorpusSHA256: "x"}
	if _, err := EncodeGallery(bad, emb, stored); err == nil {
		t.Error("terms for 6 sentences encoded under a header saying 3")
	}
	if _, err := EncodeGallery(bad, emb, nil); err == nil {
		t.Error("a hubness header without terms encoded")
	}
}
