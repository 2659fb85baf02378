package tsne_test

import (
	"fmt"
	"math/rand/v2"

	"aeir/tsne"
)

// Two well-separated groups of 64-dimensional points stay apart in 2-D.
func ExampleEmbed() {
	const n, d = 200, 64
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*d)
	for i := range n {
		for k := range d {
			x[i*d+k] = float32(rng.NormFloat64())
			if i >= n/2 {
				x[i*d+k] += 4 // the second group is shifted
			}
		}
	}
	opt := tsne.Defaults()
	opt.Perplexity = 20
	res, err := tsne.Embed(x, n, d, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	tw, _ := tsne.Trustworthiness(x, d, res.Y, 2, 5)
	// Each point's nearest embedded neighbour is in its own group.
	same := 0
	for i := range n {
		best, bestD := -1, 0.0
		for j := range n {
			if j == i {
				continue
			}
			dx, dy := res.At(i)[0]-res.At(j)[0], res.At(i)[1]-res.At(j)[1]
			if dd := dx*dx + dy*dy; best < 0 || dd < bestD {
				best, bestD = j, dd
			}
		}
		if (best < n/2) == (i < n/2) {
			same++
		}
	}
	fmt.Println("method:", res.Method)
	fmt.Printf("nearest neighbour in the same group: %d of %d\n", same, n)
	fmt.Println("trustworthiness above 0.8:", tw > 0.8)
	// Output:
	// method: exact
	// nearest neighbour in the same group: 200 of 200
	// trustworthiness above 0.8: true
}
