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

// The gradient CDAN sends to the embeddings is the reversed, λ-scaled
// gradient of the discriminator's loss through the multilinear map, with
// the predictions held constant (as CDAN's own code detaches them), and
// it is added to what the buffers held.
func TestCDANGradient(t *testing.T) {
	const n, nSource, d, k = 6, 3, 4, 5
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(m int) []float32 {
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	z, anchors := randn(n*d), randn(k*d)
	disc := model.NewDiscriminator("d", d*k, 8, 3)
	c := &conditional{k: k}
	const lambda = 0.7
	prior := randn(n * d)
	dz := append([]float32(nil), prior...)
	c.side(disc, &nn.Tensor{Shape: []int{n, d}, Data: z}, anchors, nSource, d, lambda, dz)

	p := make([]float32, n*k) // held constant
	predictions(p, z, anchors, n, d, k)
	for i := range n {
		var sum float64
		for j := range k {
			sum += float64(p[i*k+j])
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("row %d: predictions sum to %v", i, sum)
		}
	}
	loss := func(z []float32) float64 {
		h := make([]float32, n*d*k)
		multilinear(h, z, p, n, d, k)
		scratch := make([]float32, len(h))
		l, _ := disc.Loss(&nn.Tensor{Shape: []int{n, d * k}, Data: h}, nSource, 0, scratch)
		return float64(l)
	}
	const eps = 1e-3
	for i := range z {
		orig := z[i]
		z[i] = orig + eps
		up := loss(z)
		z[i] = orig - eps
		down := loss(z)
		z[i] = orig
		want := -lambda * (up - down) / (2 * eps) // gradient reversal
		got := float64(dz[i] - prior[i])
		if math.Abs(got-want) > 2e-3+2e-2*math.Abs(want) {
			t.Errorf("dz[%d] = %.5f, finite differences %.5f", i, got, want)
		}
	}
}

// CDAN trains through the trainer, reports its parts, and resumes to the
// same bytes: its anchors are re-embedded from the checkpoint's model.
func TestCDANTrainsAndResumes(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Method = "cdan"
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	ta := runSmall(t, task, opt, a, 0, false)
	for _, part := range []string{"con", "cdan_img", "cdan_txt", "acc_img", "lambda"} {
		if _, ok := ta.History()[0].Loss[part]; !ok {
			t.Errorf("history lacks loss part %s: %v", part, ta.History()[0].Loss)
		}
	}
	if len(ta.termParams()) == 0 {
		t.Fatal("cdan has no discriminator parameters")
	}
	runSmall(t, task, opt, b, 1, false)
	runSmall(t, task, opt, b, 0, true)
	x, err1 := os.ReadFile(filepath.Join(a, BestFile))
	y, err2 := os.ReadFile(filepath.Join(b, BestFile))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(x, y) {
		t.Error("the resumed cdan run differs from the uninterrupted one")
	}
}
