package tsne

import "math"

// Quadtree of the 2-D embedding for the Barnes–Hut repulsion.
//
// Cells are squares; a cell with at most leafSize points, or at maxDepth,
// is a leaf that keeps its points (in perm) and is computed point by
// point when opened. The tree is rebuilt every iteration into reused
// slices, so building allocates nothing once warm.
const (
	leafSize = 16
	maxDepth = 40
)

type qnode struct {
	cx, cy             float64 // centre of mass
	xlo, xhi, ylo, yhi float64 // the cell [xlo, xhi) × [ylo, yhi)
	w2                 float64 // squared side length
	n                  float64 // number of points
	child              int32   // first of 4 consecutive children; -1 for a leaf
	lo, hi             int32   // leaf: its points are perm[lo:hi]
}

type quadtree struct {
	nodes []qnode
	perm  []int32
	tmp   []int32
	y     []float64
}

// build makes the tree of the n points y (n×2).
func (t *quadtree) build(y []float64) {
	n := len(y) / 2
	t.y = y
	t.nodes = t.nodes[:0]
	if cap(t.perm) < n {
		t.perm = make([]int32, n)
		t.tmp = make([]int32, n)
	}
	t.perm, t.tmp = t.perm[:n], t.tmp[:n]
	xmin, ymin := math.Inf(1), math.Inf(1)
	xmax, ymax := math.Inf(-1), math.Inf(-1)
	for i := range n {
		t.perm[i] = int32(i)
		x, yy := y[2*i], y[2*i+1]
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, yy), max(ymax, yy)
	}
	side := max(xmax-xmin, ymax-ymin)
	side = side*(1+1e-9) + 1e-12 // every point strictly inside
	cx, cy := (xmin+xmax)/2, (ymin+ymax)/2
	t.nodes = append(t.nodes, qnode{xlo: cx - side/2, xhi: cx + side/2, ylo: cy - side/2, yhi: cy + side/2})
	t.split(0, 0, int32(n), 0)
}

// split fills node k with the points perm[lo:hi], recursively.
func (t *quadtree) split(k int, lo, hi int32, depth int) {
	nd := &t.nodes[k]
	side := nd.xhi - nd.xlo
	nd.w2 = side * side
	nd.n = float64(hi - lo)
	nd.child = -1
	nd.lo, nd.hi = lo, hi
	if hi-lo <= leafSize || depth >= maxDepth {
		var sx, sy float64
		for _, j := range t.perm[lo:hi] {
			sx += t.y[2*j]
			sy += t.y[2*j+1]
		}
		if hi > lo {
			nd.cx, nd.cy = sx/nd.n, sy/nd.n
		}
		return
	}
	xlo, xhi, ylo, yhi := nd.xlo, nd.xhi, nd.ylo, nd.yhi
	mx, my := xlo+(xhi-xlo)/2, ylo+(yhi-ylo)/2
	if !(mx > xlo && mx < xhi && my > ylo && my < yhi) { // cell too small to split
		t.nodes[k].child = -1
		var sx, sy float64
		for _, j := range t.perm[lo:hi] {
			sx += t.y[2*j]
			sy += t.y[2*j+1]
		}
		nd.cx, nd.cy = sx/nd.n, sy/nd.n
		return
	}
	// Counting sort of perm[lo:hi] by quadrant: 0 = (<mx, <my), 1 = (≥mx,
	// <my), 2 = (<mx, ≥my), 3 = (≥mx, ≥my).
	var cnt [5]int32
	for _, j := range t.perm[lo:hi] {
		cnt[quadrant(t.y[2*j], t.y[2*j+1], mx, my)+1]++
	}
	for q := 1; q < 5; q++ {
		cnt[q] += cnt[q-1]
	}
	start := cnt
	for _, j := range t.perm[lo:hi] {
		q := quadrant(t.y[2*j], t.y[2*j+1], mx, my)
		t.tmp[lo+cnt[q]] = j
		cnt[q]++
	}
	copy(t.perm[lo:hi], t.tmp[lo:hi])
	c := len(t.nodes)
	t.nodes[k].child = int32(c)
	t.nodes = append(t.nodes,
		qnode{xlo: xlo, xhi: mx, ylo: ylo, yhi: my},
		qnode{xlo: mx, xhi: xhi, ylo: ylo, yhi: my},
		qnode{xlo: xlo, xhi: mx, ylo: my, yhi: yhi},
		qnode{xlo: mx, xhi: xhi, ylo: my, yhi: yhi})
	var sx, sy float64
	for q := range 4 {
		t.split(c+q, lo+start[q], lo+start[q+1], depth+1)
		ch := &t.nodes[c+q]
		sx += ch.cx * ch.n
		sy += ch.cy * ch.n
	}
	nd = &t.nodes[k] // append may have moved the slice
	nd.cx, nd.cy = sx/nd.n, sy/nd.n
}

func quadrant(x, y, mx, my float64) int {
	q := 0
	if x >= mx {
		q = 1
	}
	if y >= my {
		q += 2
	}
	return q
}

// repulsion returns, for point i at (xi, yi), z = Σ_{j≠i} w_ij and the
// unnormalised repulsive force (fx, fy) = Σ_{j≠i} w_ij² (y_i − y_j),
// w_ij = 1/(1 + ‖y_i − y_j‖²), summarising a cell by its centre of mass
// when it does not contain i and its squared width is below θ² times the
// squared distance to its centre. stack is scratch.
func (t *quadtree) repulsion(i int32, theta2 float64, stack []int32) (z, fx, fy float64, _ []int32) {
	xi, yi := t.y[2*i], t.y[2*i+1]
	stack = append(stack[:0], 0)
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &t.nodes[k]
		if nd.n == 0 {
			continue
		}
		dx, dy := xi-nd.cx, yi-nd.cy
		d2 := dx*dx + dy*dy
		inside := xi >= nd.xlo && xi < nd.xhi && yi >= nd.ylo && yi < nd.yhi
		if !inside && nd.w2 < theta2*d2 {
			w := 1 / (1 + d2)
			nw := nd.n * w
			z += nw
			nw *= w
			fx += nw * dx
			fy += nw * dy
			continue
		}
		if nd.child < 0 {
			for _, j := range t.perm[nd.lo:nd.hi] {
				if j == i {
					continue
				}
				dx, dy := xi-t.y[2*j], yi-t.y[2*j+1]
				w := 1 / (1 + dx*dx + dy*dy)
				z += w
				ww := w * w
				fx += ww * dx
				fy += ww * dy
			}
			continue
		}
		c := nd.child
		stack = append(stack, c+3, c+2, c+1, c)
	}
	return z, fx, fy, stack
}
