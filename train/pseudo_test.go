package train

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"aeir/model"
	"aeir/nn"
)

// The transport's plan meets both uniform marginals, and a clear one-to-one
// structure in the scores comes out as the pairs, hubs included: a row
// that is every column's best still gets only one partner.
func TestSinkhorn(t *testing.T) {
	const n, k = 7, 9
	rng := rand.New(rand.NewPCG(3, 4))
	sim := make([]float32, n*k)
	for i := range sim {
		sim[i] = float32(rng.Float64()*0.2 - 0.1)
	}
	for i := 0; i < n; i++ {
		sim[i*k+(i+2)%k] += 0.6 // the planted pairs
	}
	for j := 0; j < k; j++ {
		sim[0*k+j] += 0.3 // row 0 is a hub: above everything else in every column
	}
	plan := sinkhorn(sim, n, k, 0.05, 500)
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < k; j++ {
			s += plan[i*k+j]
		}
		if math.Abs(s-1.0/n) > 1e-4 {
			t.Errorf("row %d carries %v, want %v", i, s, 1.0/n)
		}
	}
	for j := 0; j < k; j++ {
		var s float64
		for i := 0; i < n; i++ {
			s += plan[i*k+j]
		}
		if math.Abs(s-1.0/k) > 1e-4 {
			t.Errorf("column %d carries %v, want %v", j, s, 1.0/k)
		}
	}
	cand, conf := mutualArgmax(plan, n, k)
	for i, c := range cand {
		if c != (i+2)%k {
			t.Errorf("row %d paired with %d, want %d", i, c, (i+2)%k)
		}
		if !(conf[i] > 0.5 && conf[i] <= 1) {
			t.Errorf("row %d confidence %v", i, conf[i])
		}
	}
	kept := keepConfident(cand, conf, 3)
	n3 := 0
	for i, c := range kept {
		if c >= 0 {
			n3++
			for j, d := range cand {
				if kept[j] < 0 && d >= 0 && conf[j] > conf[i] {
					t.Errorf("kept row %d (confidence %v) over row %d (%v)", i, conf[i], j, conf[j])
				}
			}
		}
	}
	if n3 != 3 {
		t.Errorf("kept %d pairs, want 3", n3)
	}
}

// L_ot's gradient is L_con's on the step's pseudo-pairs, weighted and added
// to what the buffers held; rows without a pair get nothing.
func TestOTGradient(t *testing.T) {
	const b, bt, d = 3, 6, 5
	rng := rand.New(rand.NewPCG(5, 6))
	randn := func(m int) []float32 {
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) * 0.5
		}
		return x
	}
	tr := &Trainer{Opt: Defaults()}
	tr.Opt.OTWeight, tr.Opt.StrRamp = 0.7, 0
	p := &pseudoPairs{t: tr, loss: model.Contrastive{Margin: 0.5}}
	p.partner = []int{4, -1, 0, 2, 5, 1, -1, 3} // target image → target sentence
	tImg := []int{0, 1, 2, 3, 4, 5}
	tTxt := []int{7, 7, 7, 7, 7, 7}
	p.pairTexts(tImg, tTxt)
	if want := []int{4, 7, 0, 2, 5, 1}; !equalInts(tTxt, want) {
		t.Fatalf("paired sentences %v, want %v", tTxt, want)
	}
	tTxt[5] = 6 // a row whose sentence is not its image's partner takes no part
	u, v := randn((b+bt)*d), randn((b+bt)*d)
	pu, pv := randn(len(u)), randn(len(v))
	du, dv := append([]float32(nil), pu...), append([]float32(nil), pv...)
	s := &Step{U: &nn.Tensor{Shape: []int{b + bt, d}, Data: u}, V: &nn.Tensor{Shape: []int{b + bt, d}, Data: v},
		DU: du, DV: dv, B: b, D: d, TImg: tImg, TTxt: tTxt, Epoch: 5}
	parts := map[string]float64{}
	p.Loss(s, parts)
	if parts["ot_rows"] != 4.0/6 {
		t.Fatalf("ot_rows %v, want 4/6", parts["ot_rows"])
	}
	rows := []int{0, 2, 3, 4}
	loss := func() float64 {
		var x, y []float32
		for _, r := range rows {
			x = append(x, u[(b+r)*d:(b+r+1)*d]...)
			y = append(y, v[(b+r)*d:(b+r+1)*d]...)
		}
		c := model.Contrastive{Margin: 0.5}
		gx, gy := make([]float32, len(x)), make([]float32, len(y))
		return 0.7 * float64(c.Loss(x, y, len(rows), d, nil, gx, gy))
	}
	const eps = 1e-3
	for _, side := range []struct {
		z, dz, prior []float32
	}{{u, du, pu}, {v, dv, pv}} {
		for i := range side.z {
			orig := side.z[i]
			side.z[i] = orig + eps
			up := loss()
			side.z[i] = orig - eps
			down := loss()
			side.z[i] = orig
			want := (up - down) / (2 * eps)
			got := float64(side.dz[i] - side.prior[i])
			if math.Abs(got-want) > 2e-3+2e-2*math.Abs(want) {
				t.Errorf("gradient %d = %.5f, finite differences %.5f", i, got, want)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ot trains through the trainer, log the share of pairs kept,
// and resume to the same bytes: the pairs are recomputed from the
// checkpoint's model.
func TestOTTrainsAndResumes(t *testing.T) {
	task := smallTask(t)
	for _, method := range []string{"ot"} {
		opt := smallOptions()
		opt.Method, opt.Epochs, opt.OTWarmup, opt.OTKeep = method, 4, 1, 1
		a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
		ta := runSmall(t, task, opt, a, 0, false)
		h := ta.History()
		if _, ok := h[0].Loss["ot"]; ok {
			t.Errorf("%s: L_ot before the warm-up ended: %v", method, h[0].Loss)
		}
		last := h[len(h)-1]
		if _, ok := last.Loss["ot"]; !ok {
			t.Errorf("%s: history lacks L_ot: %v", method, last.Loss)
		}
		if last.Loss["grad_ot"] <= 0 || last.Loss["grad_con"] <= 0 {
			t.Errorf("%s: per-term gradient norms %v", method, last.Loss)
		}
		if last.Diag["ot_kept"] <= 0 {
			t.Errorf("%s: no pseudo-pairs kept: %v", method, last.Diag)
		}
		runSmall(t, task, opt, b, 2, false)
		runSmall(t, task, opt, b, 0, true)
		x, err1 := os.ReadFile(filepath.Join(a, BestFile))
		y, err2 := os.ReadFile(filepath.Join(b, BestFile))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: the resumed run differs from the uninterrupted one", method)
		}
	}
}
