package train

import (
	"aeir/eval"
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/model"
	"aeir/nn"
)

// smallTask is a quick VendorMoji task: 96 source pairs, 64 unaligned
// target training items, 32 validation and 32 test concepts.
func smallTask(t testing.TB) *data.Task {
	t.Helper()
	ds, err := vendormoji.Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := func(lo, hi int) []int {
		var s []int
		for i := lo; i < hi; i++ {
			s = append(s, i*7%1906)
		}
		return s
	}
	src, tgt := vendormoji.Domain{Vendor: "noto", Style: "en"}, vendormoji.Domain{Vendor: "twemoji", Style: "en"}
	task, err := data.NewTask("small", ds.Collection(src, ids(0, 96), "train"), ds.Collection(tgt, ids(32, 96), "train"),
		ds.Collection(tgt, ids(96, 128), "val"), ds.Collection(tgt, ids(0, 32), "test"), ds.Collection(src, ids(0, 32), "test"), 3)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func smallOptions() Options {
	o := Defaults()
	o.Epochs, o.Batch, o.WarmupSteps = 3, 32, 2
	o.Model.Channels = []int{4, 8}
	o.Model.Dim, o.Model.TextEmbed, o.Model.TextHidden = 16, 16, 32
	o.Model.Tokenizer.Buckets = 1 << 10
	return o
}

// runSmall trains o on task in dir (a fresh run unless resume), stopping
// after stop epochs when stop > 0.
func runSmall(t *testing.T, task *data.Task, o Options, dir string, stop int, resume bool) *Trainer {
	t.Helper()
	tr, err := New(task, o, dir, resume)
	if err != nil {
		t.Fatal(err)
	}
	tr.stopAfter = stop
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	return tr
}

// flat concatenates the values of ps.
func flat(ps []*nn.Param) []float32 {
	var w []float32
	for _, p := range ps {
		w = append(w, p.W...)
	}
	return w
}

func TestResumeIsBitIdentical(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	ta, err := New(task, opt, a, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.Run(); err != nil {
		t.Fatal(err)
	}
	// b: interrupted after the first epoch, then resumed in a new Trainer.
	tb, err := New(task, opt, b, false)
	if err != nil {
		t.Fatal(err)
	}
	tb.stopAfter = 1
	if err := tb.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(task, opt, b, false); err == nil {
		t.Fatal("starting over an existing run should fail without resume")
	}
	other := opt
	other.LR *= 2
	if _, err := New(task, other, b, true); err == nil {
		t.Fatal("resuming with other options should fail")
	}
	tc, err := New(task, opt, b, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.Run(); err != nil {
		t.Fatal(err)
	}
	x, err1 := os.ReadFile(filepath.Join(a, BestFile))
	y, err2 := os.ReadFile(filepath.Join(b, BestFile))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s differs between the uninterrupted and the resumed run", BestFile)
	}
	// Checkpoints also hold timings; compare every tensor (weights and
	// optimiser state) bit for bit.
	_, _, ea, err1 := model.Load(filepath.Join(a, CheckpointFile))
	mb, _, eb, err2 := model.Load(filepath.Join(b, CheckpointFile))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ps := append(tc.Model.Tensors(), ea...)
	qs := append(mb.Tensors(), eb...)
	if len(ps) != len(qs) || len(ea) == 0 {
		t.Fatalf("%d vs %d tensors (%d optimiser)", len(ps), len(qs), len(ea))
	}
	for i := range ps {
		if ps[i].Name != qs[i].Name {
			t.Fatalf("tensor %d: %s vs %s", i, ps[i].Name, qs[i].Name)
		}
		for k := range ps[i].W {
			if math.Float32bits(ps[i].W[k]) != math.Float32bits(qs[i].W[k]) {
				t.Fatalf("tensor %s[%d]: %v vs %v", ps[i].Name, k, ps[i].W[k], qs[i].W[k])
			}
		}
	}
	_, _, _ = ta, ea, eb
	if len(tc.History()) != 3 {
		t.Fatalf("history has %d epochs", len(tc.History()))
	}
}

func TestLossFallsAndBeatsChance(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Epochs, opt.Batch = 25, 16
	opt.Method = "oracle"
	opt.MaxViolation = false
	tr, err := New(task, opt, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	h := tr.History()
	t.Logf("loss %.3f → %.3f", h[0].Loss["con"], h[len(h)-1].Loss["con"])
	if first, last := h[0].Loss["con"], h[len(h)-1].Loss["con"]; !(last < 0.8*first) {
		t.Errorf("loss %v → %v did not fall", first, last)
	}
	// The 64 aligned target training pairs the oracle fits: chance rsum is
	// 2·(1+5+10)/64·100 = 50.
	m, err := Evaluate(tr.Model, tr.set.Source)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSum < 150 {
		t.Errorf("oracle rsum on its training pairs %.1f, chance is 50", m.RSum)
	}
}

func TestDivergenceKeepsLastGoodCheckpoint(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	dir := t.TempDir()
	tr, err := New(task, opt, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	spe := tr.StepsPerEpoch()
	tr.beforeStep = func(step int) {
		if step == spe+1 { // second epoch: poison a weight
			tr.Model.Params()[0].W[0] = float32(math.NaN())
		}
	}
	err = tr.Run()
	if !errors.Is(err, ErrNotFinite) {
		t.Fatalf("got %v, want ErrNotFinite", err)
	}
	m, meta, _, err := model.Load(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Extra) == 0 {
		t.Fatal("checkpoint without trainer state")
	}
	for _, p := range m.Params() {
		for _, w := range p.W {
			if math.IsNaN(float64(w)) {
				t.Fatal("checkpoint holds NaN weights")
			}
		}
	}
}

func TestDropPhrases(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := "dog face: adorbs, animal, pet, puppy"
	shorter := 0
	for i := 0; i < 50; i++ {
		d := dropPhrases(s, 0.5, rng)
		if d == "" {
			t.Fatal("dropped everything")
		}
		if len(d) < len(s) {
			shorter++
		}
	}
	if shorter < 40 {
		t.Errorf("only %d of 50 sentences were shortened", shorter)
	}
	for i := 0; i < 20; i++ {
		if got := dropPhrases("keycap: #", 0.9, rng); got != "keycap" {
			t.Fatalf("keycap: %q (a phrase without words must never be all that is left)", got)
		}
	}
	if got := dropPhrases("red heart", 0.99, rng); got != "red heart" {
		t.Errorf("single phrase: %q", got)
	}
}

// TestNameAugmentation checks that -name-aug swaps source sentences for
// their short forms (the CLDR names) at about its rate, never for the
// target sentences, and that the history reports validation with the
// short forms.
func TestNameAugmentation(t *testing.T) {
	task := smallTask(t)
	src := task.Train.Source
	if src.Short == nil || len(src.Short) != len(src.Texts) {
		t.Fatal("the English source collection has no short forms")
	}
	opt := smallOptions()
	opt.Method = "aeir"
	opt.NameAug = 0.25
	tr, err := New(task, opt, "", false)
	if err != nil {
		t.Fatal(err)
	}
	short, total := 0, 0
	for step := range 40 {
		idx := []int{step % len(src.Texts), (step*5 + 1) % len(src.Texts), (step*11 + 2) % len(src.Texts)}
		in := tr.inputs(idx, 0, step, step)
		for r, j := range idx {
			total++
			switch in.texts[r] {
			case src.Short[j]:
				if src.Short[j] != src.Texts[j] {
					short++
				}
			case src.Texts[j]:
			default:
				t.Fatalf("step %d: source sentence %q became %q", step, src.Texts[j], in.texts[r])
			}
		}
		for k, i := range in.tTxt { // target sentences are never touched
			if in.texts[len(idx)+k] != task.Train.TargetTexts[i] {
				t.Fatalf("target sentence %d changed", i)
			}
		}
	}
	if short < total/10 || short > total/2 {
		t.Errorf("%d of %d sentences shortened at rate 0.25", short, total)
	}
	noShort := *task
	tset := *task.Train
	srcNoShort := *src
	srcNoShort.Short = nil
	tset.Source = &srcNoShort
	noShort.Train = &tset
	if _, err := New(&noShort, opt, "", false); err == nil || !strings.Contains(err.Error(), "short forms") {
		t.Errorf("name augmentation without short forms: %v", err)
	}
	bad := opt
	bad.NameAug = 1.5
	if err := bad.Validate(); err == nil {
		t.Error("name augmentation 1.5 accepted")
	}
	opt.Epochs = 1
	run, err := New(task, opt, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Run(); err != nil {
		t.Fatal(err)
	}
	if h := run.History(); h[0].ValShort <= 0 {
		t.Errorf("no validation rsum with short forms: %+v", h[0])
	}
}

// TestInfoMaxTerm checks that -im-weight adds L_im to the structural
// methods only, reports its two entropies, and changes what is learnt.
func TestInfoMaxTerm(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Method, opt.Epochs, opt.StrWarmup, opt.StrRamp = "aeir", 2, 0, 0
	plain := flat(runSmall(t, task, opt, t.TempDir(), 0, false).Model.Params())
	opt.IMWeight = 1
	tr := runSmall(t, task, opt, t.TempDir(), 0, false)
	with := flat(tr.Model.Params())
	for _, e := range tr.History() {
		ent, spread := e.Loss["im_ent"], e.Loss["im_spread"]
		maxH := math.Log(float64(len(task.Train.Source.Texts)))
		if !(ent > 0 && ent <= maxH && spread > 0 && spread <= maxH) {
			t.Errorf("epoch %d: L_im entropies %v, %v outside (0, %.2f]", e.Epoch, ent, spread, maxH)
		}
	}
	same := true
	for i := range plain {
		if plain[i] != with[i] {
			same = false
			break
		}
	}
	if same {
		t.Error("L_im left the weights unchanged")
	}
	for _, bad := range []func(*Options){
		func(o *Options) { o.Method = "source-only" },
		func(o *Options) { o.Method = "dann" },
		func(o *Options) { o.IMWeight = -1 },
		func(o *Options) { o.IMTemp = 0 },
	} {
		o := opt
		bad(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("accepted L_im with %+v", o)
		}
	}
}

// TestTargetStyleTerms checks -ssl-weight and -mix-style: each changes
// what is learnt (L_ssl is reported), a run stopped and resumed with it is
// bit for bit the uninterrupted one (their draws come from the step), and
// bad settings are refused.
func TestTargetStyleTerms(t *testing.T) {
	task := smallTask(t)
	base := smallOptions()
	base.Method, base.Epochs = "dann", 2
	plain := flat(runSmall(t, task, base, t.TempDir(), 0, false).Model.Params())
	for _, c := range []struct {
		name string
		on   func(*Options)
		bad  []func(*Options)
	}{
		{"ssl", func(o *Options) { o.SSLWeight = 1 }, []func(*Options){
			func(o *Options) { o.Method = "source-only" },
			func(o *Options) { o.SSLWeight = -1 },
			func(o *Options) { o.SSLTemp = 0 },
			func(o *Options) { o.Augment = false },
		}},
		{"mix-style", func(o *Options) { o.MixStyle = 0.5 }, []func(*Options){
			func(o *Options) { o.Method = "source-only" },
			func(o *Options) { o.MixStyle = 1.5 },
			func(o *Options) { o.Model.Channels = []int{4} },
		}},
		{"both", func(o *Options) { o.SSLWeight, o.MixStyle = 1, 0.5 }, nil},
	} {
		opt := base
		c.on(&opt)
		tr := runSmall(t, task, opt, t.TempDir(), 0, false)
		if opt.SSLWeight > 0 {
			for _, e := range tr.History() {
				l, acc := e.Loss["ssl"], e.Loss["ssl_acc"]
				if !(l > 0 && finite(l)) || acc < 0 || acc > 1 {
					t.Errorf("%s: epoch %d: L_ssl %v, view accuracy %v", c.name, e.Epoch, l, acc)
				}
			}
		}
		with := flat(tr.Model.Params())
		if slices.Equal(plain, with) {
			t.Errorf("%s left the weights unchanged", c.name)
		}
		dir := filepath.Join(t.TempDir(), "r")
		runSmall(t, task, opt, dir, 1, false)
		if resumed := flat(runSmall(t, task, opt, dir, 0, true).Model.Params()); !slices.Equal(resumed, with) {
			t.Errorf("%s: the resumed run differs from the uninterrupted one", c.name)
		}
		for _, bad := range c.bad {
			o := opt
			bad(&o)
			if err := o.Validate(); err == nil {
				t.Errorf("%s: accepted %+v", c.name, o)
			}
		}
	}
}

// TestEMA checks -ema: the average differs from the weights, best.aeir
// holds the average, the structural
// neighbours it finds change what is learnt, a resumed run is bit for bit
// the uninterrupted one (the average is in the checkpoint), and bad
// decays are refused.
func TestEMA(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Method, opt.Epochs, opt.StrWarmup, opt.StrRamp = "aeir", 3, 0, 0
	plain := flat(runSmall(t, task, opt, t.TempDir(), 0, false).Model.Params())
	opt.EMA = 0.9
	dir := t.TempDir()
	tr := runSmall(t, task, opt, dir, 0, false)
	raw, avg := flat(tr.Model.Params()), flat(tr.ema)
	if slices.Equal(raw, plain) {
		t.Error("neighbours from the average left the weights unchanged")
	}
	if slices.Equal(raw, avg) {
		t.Error("the average equals the weights")
	}
	one := opt
	one.Epochs = 1 // its only epoch is the best
	odir := t.TempDir()
	tr1 := runSmall(t, task, one, odir, 0, false)
	best, _, _, err := model.Load(filepath.Join(odir, BestFile))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(flat(best.Params()), flat(tr1.ema)) {
		t.Error("best.aeir is not the average")
	}
	rdir := filepath.Join(t.TempDir(), "r")
	runSmall(t, task, opt, rdir, 1, false)
	resumed := runSmall(t, task, opt, rdir, 0, true)
	if !slices.Equal(flat(resumed.Model.Params()), raw) || !slices.Equal(flat(resumed.ema), avg) {
		t.Error("with -ema, the resumed run differs from the uninterrupted one")
	}
	for _, d := range []float32{-0.1, 1} {
		o := opt
		o.EMA = d
		if o.Validate() == nil {
			t.Errorf("accepted decay %v", d)
		}
	}
}

// TestBankViews checks -bank-views: the structural neighbours come from
// averaged views, which changes what is learnt; bad counts are refused.
func TestBankViews(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Method, opt.Epochs, opt.StrWarmup, opt.StrRamp, opt.StrSpace = "aeir", 2, 0, 0, "embedding"
	tp := runSmall(t, task, opt, t.TempDir(), 0, false)
	opt.BankViews = 4
	tr := runSmall(t, task, opt, t.TempDir(), 0, false)
	plain, with := flat(tp.Model.Params()), flat(tr.Model.Params())
	if slices.Equal(plain, with) {
		t.Error("bank views left the weights unchanged")
	}
	// The first epoch's neighbours come from the same weights, searched
	// with one view and with four: the image neighbours differ.
	d0, d1 := tp.History()[0].Diag, tr.History()[0].Diag
	if d0["nbr_img_kept"] == d1["nbr_img_kept"] && d0["nbr_img_acc"] == d1["nbr_img_acc"] {
		t.Errorf("image neighbours unchanged by the views: %v vs %v", d0, d1)
	}
	for _, bad := range []func(*Options){
		func(o *Options) { o.BankViews = -1 },
		func(o *Options) { o.BankViews = 65 },
		func(o *Options) { o.StrSpace = "appearance" },
		func(o *Options) { o.Method = "dann" },
	} {
		o := opt
		bad(&o)
		if o.Validate() == nil {
			t.Errorf("accepted %d bank views with %s, %s", o.BankViews, o.Method, o.StrSpace)
		}
	}
}

// TestNeighboursCSLS checks -str-csls: a source row close to every target
// row (a hub) is every target's cosine neighbour, but not its CSLS one.
func TestNeighboursCSLS(t *testing.T) {
	unit := func(v ...float32) []float32 {
		var s float32
		for _, x := range v {
			s += x * x
		}
		for i := range v {
			v[i] /= float32(math.Sqrt(float64(s)))
		}
		return v
	}
	q := append(unit(1, 0, 0), unit(0, 1, 0)...)                                           // target rows
	s := append(append(unit(1, 1.2, 0), unit(0.6, -0.2, 0.8)...), unit(-0.2, 0.6, 0.8)...) // source rows: a hub, then one row for each target
	tr := &Trainer{Opt: Defaults()}
	tr.Opt.StrFilter = "none"
	if got, _ := tr.neighbours(q, 2, s, 3, 3); got[0] != 0 {
		t.Fatalf("set-up: cosine neighbours %v, want the hub (0) for target 0", got)
	}
	tr.Opt.StrCSLS = 1
	if got, _ := tr.neighbours(q, 2, s, 3, 3); got[0] != 1 {
		t.Errorf("CSLS neighbours %v, want source row 1 for target 0", got)
	}
	bad := Defaults()
	bad.StrCSLS = -1
	if bad.Validate() == nil {
		t.Error("str csls −1 accepted")
	}
}

// TestNeighboursBlocked: the cosine search in blocks of rows chooses what
// a search over the whole score matrix chooses (mutual filter, threshold,
// ties to the lowest index), whatever the block size.
func TestNeighboursBlocked(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, m, d := 37, 23, 5
	q := make([]float32, n*d)
	s := make([]float32, m*d)
	for i := range q {
		q[i] = float32(rng.IntN(5) - 2) // small integers: many ties
	}
	for i := range s {
		s[i] = float32(rng.IntN(5) - 2)
	}
	copy(s[7*d:8*d], s[3*d:4*d]) // two equal source rows
	reference := func(filter string, thresh float32) []int {
		sim := eval.Similarity(nil, q, n, s, m, d)
		nn := make([]int, n)
		for i := range n {
			bj := 0
			for j := range m {
				if sim[i*m+j] > sim[i*m+bj] {
					bj = j
				}
			}
			nn[i] = bj
			if filter != "none" && sim[i*m+bj] < thresh {
				nn[i] = -1
				continue
			}
			if filter == "mutual" {
				bi := 0
				for k := range n {
					if sim[k*m+bj] > sim[bi*m+bj] {
						bi = k
					}
				}
				if bi != i {
					nn[i] = -1
				}
			}
		}
		return nn
	}
	defer func(v int) { maxSimBlock = v }(maxSimBlock)
	for _, block := range []int{1 << 22, 5 * m, m, 1} {
		maxSimBlock = block
		for _, f := range []struct {
			filter string
			thresh float32
		}{{"mutual", -100}, {"mutual", 1}, {"threshold", 2}, {"none", 0}} {
			tr := &Trainer{Opt: Defaults()}
			tr.Opt.StrFilter, tr.Opt.StrThresh = f.filter, f.thresh
			got, err := tr.neighbours(q, n, s, m, d)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(f.filter, f.thresh); !slices.Equal(got, want) {
				t.Errorf("block %d, filter %s %v: %v, whole matrix %v", block, f.filter, f.thresh, got, want)
			}
		}
	}
}

// TestImageSizeMustMatch: a model whose input size is not the data's is
// refused with a message naming both sizes (a 64-px model on the 32-px
// data would otherwise read the tiles as garbage).
func TestImageSizeMustMatch(t *testing.T) {
	o := smallOptions()
	o.Model.ImageSize = 64
	_, err := New(smallTask(t), o, "", false)
	if err == nil || !strings.Contains(err.Error(), "images are 32 px, the model reads 64 px") {
		t.Errorf("error %v", err)
	}
}

// TestNeighboursSampled: with StrSample, each target's neighbour is its
// nearest among the epoch's sample of source rows (source indices), the
// sample changes with the epoch, and a sample as large as the source is
// the exact search.
func TestNeighboursSampled(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, m, d := 20, 50, 4
	q, s := make([]float32, n*d), make([]float32, m*d)
	for i := range q {
		q[i] = float32(rng.NormFloat64())
	}
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	tr := &Trainer{Opt: Defaults()}
	tr.Opt.StrFilter = "none"
	exact, _ := tr.neighbours(q, n, s, m, d)
	tr.Opt.StrSample = m
	if got, _ := tr.sampledNeighbours(0, 1, q, n, s, m, d); !slices.Equal(got, exact) {
		t.Errorf("a sample of all %d rows: %v, exact %v", m, got, exact)
	}
	tr.Opt.StrSample = 10
	got0, _ := tr.sampledNeighbours(0, 1, q, n, s, m, d)
	got1, _ := tr.sampledNeighbours(1, 1, q, n, s, m, d)
	if slices.Equal(got0, got1) {
		t.Error("the sample did not change with the epoch")
	}
	inSample := map[int]bool{}
	for _, j := range got0 {
		inSample[j] = true
	}
	if len(inSample) > 10 {
		t.Errorf("%d distinct neighbours from a sample of 10", len(inSample))
	}
	sim := eval.Similarity(nil, q, n, s, m, d)
	for i, j := range got0 {
		for k := range inSample { // no sampled row the search saw beats the one chosen
			if sim[i*m+k] > sim[i*m+j] {
				t.Fatalf("target %d: chose %d (%.3f) but sampled %d scores %.3f", i, j, sim[i*m+j], k, sim[i*m+k])
			}
		}
	}
}
