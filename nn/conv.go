package nn

import (
	"fmt"
	"math/rand/v2"
)

// Conv2D is a 2-D convolution (cross-correlation) over NCHW input:
//
//	y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n, c, i·s+u−p, j·s+v−p]
//
// with x: N×C×H×W (zero outside the image), W: O×C×k×k, b: O, stride s,
// zero padding p, and y: N×O×H'×W' where H' = ⌊(H+2p−k)/s⌋+1 (W' alike).
//
// It is computed as one matrix product over the whole batch (im2col):
// X̂ = im2col(x) is (C·k·k)×(N·H'·W') and Ŷ = W·X̂ (O×N·H'·W'). The
// gradients are
//
//	dL/dW += dŶ·X̂ᵀ,   dL/db[o] += Σ dy[·,o,·,·],   dL/dx = col2im(Wᵀ·dŶ),
//
// where col2im adds every column entry back onto the pixel it came from.
type Conv2D struct {
	InC, OutC, K, Stride, Pad int
	W, B                      *Param

	// NoInputGrad skips dL/dx in Backward (which then returns nil): for
	// the first layer of a network, whose input needs no gradient.
	NoInputGrad bool

	x               *Tensor
	col             []float32 // im2col(x); reused for Wᵀ·dŶ in Backward
	yt              []float32 // Ŷ, then dŶ
	y, dx           *Tensor
	n, h, w, ho, wo int
	ready           bool // col holds im2col(x) of the last Forward

	// operands of the parallel loops over channels (method values, made
	// once, so a warm call allocates nothing)
	src, dst                           []float32
	im2colFn, col2imFn, biasFn, gradFn func(lo, hi int)
}

// NewConv2D returns a convolution with Kaiming-normal weights drawn from
// rng (fan-in C·k·k) and zero bias. Parameters are named "w" and "b".
func NewConv2D(rng *rand.Rand, inC, outC, k, stride, pad int) *Conv2D {
	if inC <= 0 || outC <= 0 || k <= 0 || stride <= 0 || pad < 0 {
		panic(fmt.Sprintf("nn: NewConv2D(in=%d, out=%d, k=%d, stride=%d, pad=%d): bad size", inC, outC, k, stride, pad))
	}
	c := &Conv2D{InC: inC, OutC: outC, K: k, Stride: stride, Pad: pad,
		W: NewParam("w", outC, inC, k, k), B: NewParam("b", outC)}
	c.Init(rng, HeNormal)
	return c
}

// Init re-draws the weights with init (fan-in C·k·k, fan-out O·k·k) and
// zeroes the bias.
func (c *Conv2D) Init(rng *rand.Rand, init Init) {
	init(rng, c.InC*c.K*c.K, c.OutC*c.K*c.K, c.W.W)
	clear(c.B.W)
}

// OutSize returns the output height and width for an h×w input.
func (c *Conv2D) OutSize(h, w int) (int, int) {
	return (h+2*c.Pad-c.K)/c.Stride + 1, (w+2*c.Pad-c.K)/c.Stride + 1
}

// Forward computes the convolution of x (N×C×H×W).
func (c *Conv2D) Forward(x *Tensor, train bool) *Tensor {
	mustShape("Conv2D", x, -1, c.InC, -1, -1)
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	ho, wo := c.OutSize(h, w)
	if h+2*c.Pad < c.K || w+2*c.Pad < c.K {
		panic(fmt.Sprintf("nn: Conv2D: input %v is smaller than the %d×%d kernel (pad %d)", x.Shape, c.K, c.K, c.Pad))
	}
	c.x, c.n, c.h, c.w, c.ho, c.wo = x, n, h, w, ho, wo
	ckk, hw := c.InC*c.K*c.K, ho*wo
	l := n * hw
	c.col = grow(c.col, ckk*l)
	if c.im2colFn == nil {
		c.im2colFn, c.col2imFn, c.biasFn, c.gradFn = c.im2col, c.col2im, c.addBias, c.gatherGrad
	}
	c.src, c.dst = x.Data, c.col
	parallelFor(c.InC, c.K*c.K*l, c.im2colFn)
	c.ready = true
	c.yt = grow(c.yt, c.OutC*l)
	Gemm(false, false, c.OutC, l, ckk, 1, c.W.W, ckk, c.col, l, 0, c.yt, l)
	c.y = Ensure(c.y, n, c.OutC, ho, wo)
	parallelFor(c.OutC, l, c.biasFn)
	return c.y
}

// addBias writes output channels [lo, hi) of y (NCHW) from Ŷ (C×N·H'·W')
// plus the bias.
func (c *Conv2D) addBias(lo, hi int) {
	n, hw := c.n, c.ho*c.wo
	l := n * hw
	for o := lo; o < hi; o++ {
		bias := c.B.W[o]
		for i := range n {
			src := c.yt[o*l+i*hw : o*l+(i+1)*hw]
			dst := c.y.Data[(i*c.OutC+o)*hw : (i*c.OutC+o+1)*hw]
			for j, v := range src {
				dst[j] = v + bias
			}
		}
	}
}

// gatherGrad copies output channels [lo, hi) of dy = c.src (NCHW) into
// dŶ (C×N·H'·W') and adds their sums to the bias gradient.
func (c *Conv2D) gatherGrad(lo, hi int) {
	n, hw := c.n, c.ho*c.wo
	l := n * hw
	for o := lo; o < hi; o++ {
		var s float32
		for i := range n {
			src := c.src[(i*c.OutC+o)*hw : (i*c.OutC+o+1)*hw]
			dst := c.yt[o*l+i*hw : o*l+(i+1)*hw]
			copy(dst, src)
			for _, v := range src {
				s += v
			}
		}
		c.B.G[o] += s
	}
}

// Backward accumulates dL/dW and dL/db and returns dL/dx. It may be called
// once per Forward.
func (c *Conv2D) Backward(dy *Tensor) *Tensor {
	mustSame("Conv2D", dy, c.y)
	if !c.ready {
		panic("nn: Conv2D.Backward called twice for one Forward")
	}
	c.ready = false
	n, hw := c.n, c.ho*c.wo
	ckk, l := c.InC*c.K*c.K, n*hw
	dyt := c.yt
	c.src = dy.Data
	parallelFor(c.OutC, l, c.gradFn)
	c.src = nil
	Gemm(false, true, c.OutC, ckk, l, 1, dyt, l, c.col, l, 1, c.W.G, ckk)
	if c.NoInputGrad {
		return nil
	}
	dcol := c.col
	Gemm(true, false, ckk, l, c.OutC, 1, c.W.W, ckk, dyt, l, 0, dcol, l)
	c.dx = Ensure(c.dx, c.x.Shape...)
	c.src, c.dst = dcol, c.dx.Data
	parallelFor(c.InC, c.K*c.K*l, c.col2imFn)
	c.src, c.dst = nil, nil
	return c.dx
}

// Params returns W and b.
func (c *Conv2D) Params() []*Param { return []*Param{c.W, c.B} }

// validRange returns the output columns [lo, hi) whose input column
// j·s−p+v lies inside [0, w).
func validRange(wo, w, s, p, v int) (int, int) {
	lo := 0
	if p > v {
		lo = (p - v + s - 1) / s
	}
	hi := 0
	if w-1+p-v >= 0 {
		hi = (w-1+p-v)/s + 1
	}
	return min(lo, wo), min(max(hi, lo), wo)
}

// im2col writes the rows of X̂ = c.dst for input channels [lo, hi) of
// x = c.src: row (c·k+u)·k+v, column (n·H'+i)·W'+j holds
// x[n, c, i·s+u−p, j·s+v−p] (0 outside the image).
func (c *Conv2D) im2col(lo, hi int) {
	x, col := c.src, c.dst
	k, s, p := c.K, c.Stride, c.Pad
	n, h, w, ho, wo := c.n, c.h, c.w, c.ho, c.wo
	hw, l := ho*wo, n*ho*wo
	for ch := lo; ch < hi; ch++ {
		for u := range k {
			for v := range k {
				row := col[((ch*k+u)*k+v)*l:][:l]
				jlo, jhi := validRange(wo, w, s, p, v)
				for img := range n {
					plane := x[(img*c.InC+ch)*h*w:][:h*w]
					for i := range ho {
						dst := row[img*hw+i*wo:][:wo]
						r := i*s - p + u
						if r < 0 || r >= h {
							clear(dst)
							continue
						}
						src := plane[r*w : r*w+w]
						clear(dst[:jlo])
						clear(dst[jhi:])
						if s == 1 {
							copy(dst[jlo:jhi], src[jlo-p+v:])
							continue
						}
						for j := jlo; j < jhi; j++ {
							dst[j] = src[j*s-p+v]
						}
					}
				}
			}
		}
	}
}

// col2im sets the input channels [lo, hi) of dx = c.dst to the sum of the
// entries of the X̂-shaped c.src read from each pixel (the adjoint of
// im2col).
func (c *Conv2D) col2im(lo, hi int) {
	col, dx := c.src, c.dst
	k, s, p := c.K, c.Stride, c.Pad
	n, h, w, ho, wo := c.n, c.h, c.w, c.ho, c.wo
	hw, l := ho*wo, n*ho*wo
	for img := range n {
		clear(dx[(img*c.InC+lo)*h*w : (img*c.InC+hi)*h*w])
	}
	for ch := lo; ch < hi; ch++ {
		for u := range k {
			for v := range k {
				row := col[((ch*k+u)*k+v)*l:][:l]
				jlo, jhi := validRange(wo, w, s, p, v)
				for img := range n {
					plane := dx[(img*c.InC+ch)*h*w:][:h*w]
					for i := range ho {
						r := i*s - p + u
						if r < 0 || r >= h {
							continue
						}
						src := row[img*hw+i*wo:][:wo]
						dst := plane[r*w : r*w+w]
						if s == 1 {
							d := dst[jlo-p+v : jhi-p+v]
							for j, val := range src[jlo:jhi] {
								d[j] += val
							}
							continue
						}
						for j := jlo; j < jhi; j++ {
							dst[j*s-p+v] += src[j]
						}
					}
				}
			}
		}
	}
}
