package nn_test

import (
	"bytes"
	"fmt"

	"aeir/nn"
)

// A two-layer perceptron learns XOR with AdamW and binary cross-entropy.
func Example() {
	rng := nn.NewRand(1)
	net := nn.NewSequential(
		nn.NewLinear(rng, 2, 16), nn.NewLeakyReLU(0.1),
		nn.NewLinear(rng, 16, 1))
	params := net.Params()
	opt := nn.NewAdamW(0.05, 1e-4)
	x := nn.FromData([]float32{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := nn.FromData([]float32{0, 1, 1, 0}, 4, 1)
	var dlogits *nn.Tensor
	for range 300 {
		nn.ZeroGrads(params)
		logits := net.Forward(x, true)
		nn.BCEWithLogitsTo(&dlogits, logits, y)
		net.Backward(dlogits)
		nn.ClipGradNorm(params, 1)
		opt.Step(params)
	}
	for i, z := range net.Forward(x, false).Data {
		fmt.Printf("%v xor %v → %v\n", x.Data[2*i], x.Data[2*i+1], z > 0)
	}
	// Output:
	// 0 xor 0 → false
	// 0 xor 1 → true
	// 1 xor 0 → true
	// 1 xor 1 → false
}

// Saving a network with its configuration and loading it into a fresh one.
func ExampleSave() {
	build := func(seed uint64) *nn.Sequential {
		rng := nn.NewRand(seed)
		return nn.NewSequential(nn.NewLinear(rng, 3, 2), nn.NewBatchNorm(2))
	}
	net := build(1)
	var file bytes.Buffer
	if err := nn.Save(&file, []byte(`{"in":3,"out":2}`), nn.Tensors(net)); err != nil {
		panic(err)
	}

	config, tensors, err := nn.Load(&file)
	if err != nil {
		panic(err)
	}
	fresh := build(2)
	if err := nn.CopyTensors(nn.Tensors(fresh), tensors); err != nil {
		panic(err)
	}
	fmt.Println(string(config))
	for _, t := range tensors {
		fmt.Println(t.Name, t.Shape)
	}
	// Output:
	// {"in":3,"out":2}
	// 0.w [2 3]
	// 0.b [2]
	// 1.gamma [2]
	// 1.beta [2]
	// 1.running_mean [2]
	// 1.running_var [2]
}

// A corrupted file is reported, not loaded.
func ExampleLoad_corrupt() {
	var file bytes.Buffer
	nn.Save(&file, nil, []*nn.Param{nn.NewParam("enc.conv1.w", 4, 3, 3, 3)})
	data := file.Bytes()
	_, _, err := nn.LoadBytes(data[:100])
	fmt.Println(err)
	data[60] ^= 1
	_, _, err = nn.LoadBytes(data)
	fmt.Println(err)
	_, _, err = nn.LoadBytes([]byte("PK\x03\x04 a zip file"))
	fmt.Println(err)
	// Output:
	// model file: truncated in tensor "enc.conv1.w": shape [4 3 3 3] needs 432 bytes of data, 50 remain
	// model file: checksum mismatch: the file is corrupted
	// model file: not an AEIR model (bad magic)
}
