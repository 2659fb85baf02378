// Command tsne is the Go side of bench/tsne/run.sh: it embeds an N×D
// little-endian float32 matrix with aeir/tsne and reports the wall time
// and KL divergence as one JSON line.
//
//	go run ./bench/tsne -x x.f32 -n 5000 -d 256 -y y_go.f64
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"aeir/tsne"
)

func main() {
	xf := flag.String("x", "", "input: N×D little-endian float32")
	n := flag.Int("n", 0, "rows N")
	d := flag.Int("d", 0, "columns D")
	yf := flag.String("y", "", "output: N×2 little-endian float64 embedding")
	workers := flag.Int("workers", 0, "goroutines (0: GOMAXPROCS)")
	theta := flag.Float64("theta", 0.5, "Barnes–Hut θ")
	method := flag.String("method", "barnes-hut", "auto, exact or barnes-hut")
	flag.Parse()
	if err := run(*xf, *n, *d, *yf, *workers, *theta, *method); err != nil {
		fmt.Fprintln(os.Stderr, "bench/tsne:", err)
		os.Exit(1)
	}
}

func run(xf string, n, d int, yf string, workers int, theta float64, method string) error {
	if xf == "" || yf == "" || n < 2 || d < 1 {
		return fmt.Errorf("need -x, -n, -d and -y")
	}
	f, err := os.Open(xf)
	if err != nil {
		return err
	}
	x := make([]float32, n*d)
	err = binary.Read(f, binary.LittleEndian, x)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %v (want %d×%d float32)", xf, err, n, d)
	}
	o := tsne.Defaults()
	o.Workers, o.Theta = workers, theta
	if o.Method, err = tsne.ParseMethod(method); err != nil {
		return err
	}
	t0 := time.Now()
	r, err := tsne.Embed(x, n, d, o)
	if err != nil {
		return err
	}
	sec := time.Since(t0).Seconds()
	out, err := os.Create(yf)
	if err != nil {
		return err
	}
	if err := binary.Write(out, binary.LittleEndian, r.Y); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"seconds": sec, "kl": r.KL, "iters": r.Iters, "method": r.Method.String(), "workers": workers,
	})
}
