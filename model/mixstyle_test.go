package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"aeir/nn"
)

// identity is a parameter-free layer for testing wrappers.
type identity struct{}

func (identity) Forward(x *nn.Tensor, _ bool) *nn.Tensor { return x }
func (identity) Backward(dy *nn.Tensor) *nn.Tensor       { return dy }
func (identity) Params() []*nn.Param                     { return nil }

func channelStats(p []float32) (mu, sig float64) {
	for _, v := range p {
		mu += float64(v)
	}
	mu /= float64(len(p))
	for _, v := range p {
		sig += (float64(v) - mu) * (float64(v) - mu)
	}
	return mu, math.Sqrt(sig/float64(len(p)) + 1e-6)
}

// TestMixStyle gives row 0 the statistics of row 2 (λ = 0), row 1 its own
// (λ = 1) and leaves row 2 alone; the gradient is scaled by σ_p/σ_i.
func TestMixStyle(t *testing.T) {
	n, c, hw := 3, 2, 9
	x := nn.NewTensor(n, c, 3, 3)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range x.Data {
		x.Data[i] = rng.Float32()*float32(1+i/hw) + float32(i/hw)
	}
	ms := &MixStyle{Inner: identity{}, Partner: []int{2, 0, -1}, Lambda: []float32{0, 1, 0.5}}
	if y := ms.Forward(x, false); y != x {
		t.Fatal("evaluation mode changed the output")
	}
	y := ms.Forward(x, true)
	for ch := 0; ch < c; ch++ {
		row := func(t *nn.Tensor, i int) []float32 { return t.Data[(i*c+ch)*hw : (i*c+ch+1)*hw] }
		m0, s0 := channelStats(row(y, 0))
		mp, sp := channelStats(row(x, 2))
		if math.Abs(m0-mp) > 1e-4 || math.Abs(s0-sp) > 1e-3 {
			t.Errorf("channel %d: mixed row has μ %v σ %v, want the partner's %v %v", ch, m0, s0, mp, sp)
		}
		for j := 0; j < hw; j++ {
			if math.Abs(float64(row(y, 1)[j]-row(x, 1)[j])) > 1e-4 || row(y, 2)[j] != row(x, 2)[j] {
				t.Fatalf("channel %d: λ = 1 or unpaired row changed", ch)
			}
		}
	}
	dy := nn.NewTensor(n, c, 3, 3)
	for i := range dy.Data {
		dy.Data[i] = 1
	}
	dx := ms.Backward(dy)
	for ch := 0; ch < c; ch++ {
		_, si := channelStats(x.Data[ch*hw : (ch+1)*hw])
		_, sp := channelStats(x.Data[(2*c+ch)*hw : (2*c+ch+1)*hw])
		if g := float64(dx.Data[ch*hw]); math.Abs(g-sp/si) > 1e-4 {
			t.Errorf("channel %d: gradient of the mixed row %v, want σ_p/σ_i = %v", ch, g, sp/si)
		}
		if g := dx.Data[(2*c+ch)*hw]; g != 1 {
			t.Errorf("channel %d: gradient of the unpaired row %v, want 1", ch, g)
		}
	}
}
