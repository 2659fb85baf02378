package tsne

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const python = "/usr/bin/python3"

// needSklearn skips the test unless scikit-learn imports.
func needSklearn(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running the scikit-learn reference")
	}
	if err := exec.Command(python, "-c", "import sklearn").Run(); err != nil {
		t.Skipf("scikit-learn not available (%s -c 'import sklearn': %v); install python3-sklearn", python, err)
	}
}

func writeLE(t *testing.T, path string, data any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := binary.Write(f, binary.LittleEndian, data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type sklearnResult struct {
	Y         []float64 `json:"y"`
	KL        float64   `json:"kl"`
	Iters     int       `json:"iters"`
	TwSklearn float64   `json:"tw_sklearn"`
	TwGo      float64   `json:"tw_go"`
	P         []float64 `json:"p"`
}

// TestAgainstScikitLearn runs scikit-learn's TSNE on the same points and
// compares affinities, KL divergence and trustworthiness.
func TestAgainstScikitLearn(t *testing.T) {
	needSklearn(t)
	for _, tc := range []struct {
		method   Method
		skMethod string
		n, d, c  int
		klSlack  float64 // Go KL may exceed scikit-learn's by this fraction
		twSlack  float64
		checkP   bool
		pTol     float64
	}{
		{BarnesHut, "barnes_hut", 500, 32, 6, 0.03, 0.01, true, 1e-6},
		{Exact, "exact", 200, 16, 4, 0.03, 0.01, false, 0},
	} {
		t.Run(tc.method.String(), func(t *testing.T) {
			x, _ := clustered(tc.n, tc.d, tc.c, 0.8, 21)
			o := Defaults()
			o.Method = tc.method
			r, err := Embed(x, tc.n, tc.d, o)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			xf, yf, out := filepath.Join(dir, "x.f32"), filepath.Join(dir, "y.f64"), filepath.Join(dir, "out.json")
			writeLE(t, xf, x)
			writeLE(t, yf, r.Y)
			cmd := exec.Command(python, "testdata/sklearn_tsne.py", xf, itoa(tc.n), itoa(tc.d), tc.skMethod, yf, out)
			cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var sk sklearnResult
			if err := json.Unmarshal(b, &sk); err != nil {
				t.Fatal(err)
			}
			// Both embeddings scored by the same KL: exact Q over our P.
			var klGo, klSk float64
			if tc.method == BarnesHut {
				p := affinitiesKNN(x, tc.n, tc.d, o.neighbours(tc.n), o.Perplexity, 0)
				klGo, klSk = exactKL(p, r.Y, 2, 0), exactKL(p, sk.Y, 2, 0)
				if tc.checkP {
					pd := p.dense()
					var maxDiff, l1 float64
					for i := range pd {
						dv := math.Abs(pd[i] - sk.P[i])
						maxDiff = max(maxDiff, dv)
						l1 += dv
					}
					t.Logf("P vs scikit-learn: max |ΔP| %.3g, Σ|ΔP| %.3g", maxDiff, l1)
					if maxDiff > tc.pTol {
						t.Errorf("P differs from scikit-learn's by up to %.3g", maxDiff)
					}
				}
			} else {
				ex := newExact(affinitiesDense(x, tc.n, tc.d, o.Perplexity, 0), tc.n, 2, 0)
				g := make([]float64, 2*tc.n)
				klGo, klSk = ex.grad(r.Y, g, 1, true), ex.grad(sk.Y, g, 1, true)
			}
			twGo, err := Trustworthiness(x, tc.d, r.Y, 2, 10)
			if err != nil {
				t.Fatal(err)
			}
			twSk, err := Trustworthiness(x, tc.d, sk.Y, 2, 10)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("KL (exact, same P): Go %.4f, scikit-learn %.4f (its own report %.4f; ours %.4f)", klGo, klSk, sk.KL, r.KL)
			t.Logf("trustworthiness k=10: Go %.4f, scikit-learn %.4f", twGo, twSk)
			if math.Abs(twSk-sk.TwSklearn) > 1e-9 || math.Abs(twGo-sk.TwGo) > 1e-9 {
				t.Errorf("our Trustworthiness (%v, %v) differs from scikit-learn's (%v, %v)", twSk, twGo, sk.TwSklearn, sk.TwGo)
			}
			if klGo > klSk*(1+tc.klSlack) {
				t.Errorf("KL %v is more than %.0f%% above scikit-learn's %v", klGo, 100*tc.klSlack, klSk)
			}
			if twGo < twSk-tc.twSlack {
				t.Errorf("trustworthiness %v below scikit-learn's %v", twGo, twSk)
			}
		})
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
