package nn

import (
	"math"
	"runtime"
	"testing"
)

// smallCNN is the image encoder used for benchmarks: three blocks of
// Conv3×3(pad 1)+ReLU+MaxPool2 (4→16→32→64 channels), global average
// pooling, Linear(64→128) and L2 normalisation.
func smallCNN(seed uint64) *Sequential {
	rng := NewRand(seed)
	return NewSequential(
		NewConv2D(rng, 4, 16, 3, 1, 1), NewReLU(), NewMaxPool2D(2),
		NewConv2D(rng, 16, 32, 3, 1, 1), NewReLU(), NewMaxPool2D(2),
		NewConv2D(rng, 32, 64, 3, 1, 1), NewReLU(), NewMaxPool2D(2),
		NewGlobalAvgPool(), NewLinear(rng, 64, 128), NewL2Norm(),
	)
}

// trainStep returns a closure that runs one full training step (zero
// grads, forward, backward, clip, AdamW) of smallCNN on a batch of n
// 4×32×32 images.
func trainStep(n int) func() {
	net := smallCNN(1)
	params := net.Params()
	opt := NewAdamW(1e-3, 1e-4)
	rng := NewRand(2)
	x := randTensor(rng, n, 4, 32, 32)
	dy := randTensor(rng, n, 128)
	return func() {
		ZeroGrads(params)
		net.Forward(x, true)
		net.Backward(dy)
		ClipGradNorm(params, 5)
		opt.Step(params)
	}
}

func TestTrainStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	step := trainStep(8)
	step() // warm-up: buffers, optimiser state, worker pool
	if n := testing.AllocsPerRun(3, step); n > 0 {
		t.Errorf("a warm training step allocates %v times", n)
	}
}

// BenchmarkCNNTrainStep: forward + backward + AdamW for a batch of 64
// 4×32×32 images.
func BenchmarkCNNTrainStep(b *testing.B) {
	const batch = 64
	step := trainStep(batch)
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkCNNInfer: evaluation-mode forward pass, batch 64 and batch 1 (as
// in the browser demo).
func BenchmarkCNNInfer(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(map[int]string{1: "batch1", 64: "batch64"}[batch], func(b *testing.B) {
			net := smallCNN(1)
			x := randTensor(NewRand(3), batch, 4, 32, 32)
			net.Forward(x, false)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				net.Forward(x, false)
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkLayers times the elementwise and pooling layers on the
// activations of the first CNN block (64×16×32×32).
func BenchmarkLayers(b *testing.B) {
	rng := NewRand(4)
	x := randTensor(rng, 64, 16, 32, 32)
	relu, pool := NewReLU(), NewMaxPool2D(2)
	y := relu.Forward(x, true)
	p := pool.Forward(y, true)
	dp := randTensor(rng, p.Shape...)
	dy := randTensor(rng, y.Shape...)
	b.Run("ReLU.Forward", func(b *testing.B) {
		for b.Loop() {
			relu.Forward(x, true)
		}
	})
	b.Run("ReLU.Backward", func(b *testing.B) {
		for b.Loop() {
			relu.Backward(dy)
		}
	})
	b.Run("MaxPool2D.Forward", func(b *testing.B) {
		for b.Loop() {
			pool.Forward(y, true)
		}
	})
	b.Run("MaxPool2D.Backward", func(b *testing.B) {
		for b.Loop() {
			pool.Backward(dp)
		}
	})
}

// TestWorkersDeterministic: a training step gives bit-identical results
// with one and with several workers (and exercises the parallel paths
// under the race detector).
func TestWorkersDeterministic(t *testing.T) {
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		net := smallCNN(1)
		rng := NewRand(2)
		x := randTensor(rng, 16, 4, 32, 32)
		y := net.Forward(x, true)
		dx := net.Backward(randTensor(rng, y.Shape...))
		out := append([]float32{}, y.Data...)
		out = append(out, dx.Data...)
		for _, p := range net.Params() {
			out = append(out, p.G...)
		}
		return out
	}
	one, many := run(1), run(max(2, runtime.NumCPU()))
	for i := range one {
		if math.Float32bits(one[i]) != math.Float32bits(many[i]) {
			t.Fatalf("value %d differs: %v with 1 worker, %v with several", i, one[i], many[i])
		}
	}
}
