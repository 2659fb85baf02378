package eval_test

import (
	"fmt"
	"os"

	"aeir/eval"
)

// Two images with two captions each, embedded in 2-D.
func ExampleEvaluate() {
	images := []float32{
		1, 0, // image 0
		0, 1, // image 1
	}
	texts := []float32{
		0.9, 0.1, // "a red apple"        → image 0
		0.6, 0.4, // "fruit"              → image 0
		0.7, 0.3, // "a green leaf"       → image 1 (closer to image 0: a miss)
		0.1, 0.9, // "a leaf on a branch" → image 1
	}
	textImage := []int{0, 0, 1, 1}
	sim := eval.Similarity(nil, images, 2, texts, 4, 2)

	// sim rows: image 0 → 0.9 0.6 0.7 0.1, image 1 → 0.1 0.4 0.3 0.9.
	// i2t: both images rank a caption first (R@1 100); each has its second
	// caption behind one other text, AP = (1/1 + 2/3)/2 = 5/6.
	// t2i: "a green leaf" ranks image 1 second; mAP = (1+1+1/2+1)/4.
	m, err := eval.Evaluate(sim, 2, 4, textImage)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("i2t R@1 %.0f  median rank %.1f  mAP %.1f\n", m.I2T.R1, m.I2T.MedianRank, m.I2T.MAP)
	fmt.Printf("t2i R@1 %.0f  median rank %.1f  mAP %.1f\n", m.T2I.R1, m.T2I.MedianRank, m.T2I.MAP)

	chance, _ := eval.Chance(2, 4, textImage)
	eval.WriteTable(os.Stdout, []eval.Row{{Name: "toy", Metrics: m}, {Name: "chance", Metrics: chance}})

	// Rank the texts for image 1, best first.
	fmt.Println(eval.TopK(sim[4:8], 4, nil))
	// Output:
	// i2t R@1 100  median rank 1.0  mAP 83.3
	// t2i R@1 75  median rank 1.0  mAP 87.5
	// | name   | i2t R@1 |     R@5 |    R@10 |    medR |   meanR |     mAP | t2i R@1 |     R@5 |    R@10 |    medR |   meanR |     mAP |    rsum |
	// |--------|--------:|--------:|--------:|--------:|--------:|--------:|--------:|--------:|--------:|--------:|--------:|--------:|--------:|
	// | toy    |  100.00 |  100.00 |  100.00 |     1.0 |     1.0 |   83.33 |   75.00 |  100.00 |  100.00 |     1.0 |     1.2 |   87.50 |  575.00 |
	// | chance |   50.00 |  100.00 |  100.00 |     1.5 |     1.7 |   68.06 |   50.00 |  100.00 |  100.00 |     1.5 |     1.5 |   75.00 |  500.00 |
	// [3 1 2 0]
}

// Rank a gallery for display in the browser demo, reusing the buffer.
func ExampleTopK() {
	scores := []float32{0.1, 0.7, 0.3, 0.7, 0.9}
	buf := make([]int, 0, 3)
	buf = eval.TopK(scores, 3, buf)
	fmt.Println(buf)
	// Output: [4 1 3]
}
