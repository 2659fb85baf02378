package nn

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// Conv2D is a 2-D convolution (cross-correlation) over NCHW input:
//
//	y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n, c, i·s+u−p, j·s+v−p]
//
// with x: N×C×H×W (zero outside the image), W: O×C×k×k, b: O, stride s,
// zero padding p, and y: N×O×H'×W' where H' = ⌊(H+2p−k)/s⌋+1 (W' alike).
//
// It is computed as matrix products (im2col) over chunks of a few images:
// for a chunk, X̂ = im2col(x) is (C·k·k)×(G·H'·W') and Ŷ = W·X̂ (O×G·H'·W').
// The gradients are
//
//	dL/dW += dŶ·X̂ᵀ,   dL/db[o] += Σ dy[·,o,·,·],   dL/dx = col2im(Wᵀ·dŶ),
//
// where col2im adds every column entry back onto the pixel it came from.
// G is chosen so that a chunk's X̂ fits in a core's cache: the workers take
// whole chunks, and X̂ never travels to memory (Backward recomputes it
// rather than keeping the whole batch's, which for the first layer of the
// VendorMoji model would be 21 MB). The weight gradient is summed per
// fixed group of chunks and the groups are added in order, so the result
// does not depend on the number of workers.
type Conv2D struct {
	InC, OutC, K, Stride, Pad int
	W, B                      *Param

	// NoInputGrad skips dL/dx in Backward (which then returns nil): for
	// the first layer of a network, whose input needs no gradient.
	NoInputGrad bool

	x, dy           *Tensor
	y, dx           *Tensor
	n, h, w, ho, wo int
	g               int       // images per chunk
	gw              []float32 // per group: partial dL/dW (O·C·k·k) then dL/db (O)
	ready           bool      // Backward may run (once per Forward)

	// method values for parallelFor, made once so that a warm call
	// allocates nothing
	fwdFn, bwdFn func(lo, hi int)
}

// convGroups is the number of partial weight-gradient sums.
const convGroups = 8

// convChunkFloats bounds a chunk's X̂ (floats): 256 KB.
const convChunkFloats = 1 << 16

// convScratch holds one goroutine's chunk buffers.
type convScratch struct {
	col, yt []float32
}

var convPool = sync.Pool{New: func() any { return new(convScratch) }}

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
	c.g = max(1, min(n, convChunkFloats/(ckk*hw)))
	if c.fwdFn == nil {
		c.fwdFn, c.bwdFn = c.forwardChunks, c.backwardGroups
	}
	c.y = Ensure(c.y, n, c.OutC, ho, wo)
	chunks := (n + c.g - 1) / c.g
	parallelFor(chunks, c.g*ckk*hw*c.OutC, c.fwdFn)
	c.ready = true
	return c.y
}

// forwardChunks computes the output of chunks [lo, hi).
func (c *Conv2D) forwardChunks(lo, hi int) {
	s := convPool.Get().(*convScratch)
	ckk, hw := c.InC*c.K*c.K, c.ho*c.wo
	for ch := lo; ch < hi; ch++ {
		i0, i1 := ch*c.g, min((ch+1)*c.g, c.n)
		l := (i1 - i0) * hw
		s.col = grow(s.col, ckk*l)
		s.yt = grow(s.yt, c.OutC*l)
		c.im2col(s.col, i0, i1)
		gemmSerial(false, false, c.OutC, l, ckk, 1, c.W.W, ckk, s.col, l, 0, s.yt, l)
		for o := range c.OutC {
			bias := c.B.W[o]
			for i := i0; i < i1; i++ {
				src := s.yt[o*l+(i-i0)*hw:][:hw]
				dst := c.y.Data[(i*c.OutC+o)*hw:][:hw]
				if addBiasFast(src, dst, bias) {
					continue
				}
				for j, v := range src {
					dst[j] = v + bias
				}
			}
		}
	}
	convPool.Put(s)
}

// Backward accumulates dL/dW and dL/db and returns dL/dx (nil with
// NoInputGrad). It may be called once per Forward.
func (c *Conv2D) Backward(dy *Tensor) *Tensor {
	mustSame("Conv2D", dy, c.y)
	if !c.ready {
		panic("nn: Conv2D.Backward called twice for one Forward")
	}
	c.ready = false
	ckk, hw := c.InC*c.K*c.K, c.ho*c.wo
	per := c.OutC*ckk + c.OutC
	c.gw = grow(c.gw, convGroups*per)
	clear(c.gw)
	if !c.NoInputGrad {
		c.dx = Ensure(c.dx, c.x.Shape...)
	}
	c.dy = dy
	parallelFor(convGroups, c.n*ckk*hw*c.OutC/convGroups, c.bwdFn)
	c.dy = nil
	for gr := range convGroups {
		part := c.gw[gr*per : (gr+1)*per]
		for i, v := range part[:c.OutC*ckk] {
			c.W.G[i] += v
		}
		for i, v := range part[c.OutC*ckk:] {
			c.B.G[i] += v
		}
	}
	if c.NoInputGrad {
		return nil
	}
	return c.dx
}

// backwardGroups runs the chunks of groups [lo, hi): group gr takes
// chunks gr, gr+convGroups, … in order and sums their weight gradients
// into its own part of c.gw.
func (c *Conv2D) backwardGroups(lo, hi int) {
	s := convPool.Get().(*convScratch)
	ckk, hw := c.InC*c.K*c.K, c.ho*c.wo
	per := c.OutC*ckk + c.OutC
	chunks := (c.n + c.g - 1) / c.g
	for gr := lo; gr < hi; gr++ {
		gw := c.gw[gr*per : gr*per+c.OutC*ckk]
		gb := c.gw[gr*per+c.OutC*ckk : (gr+1)*per]
		for ch := gr; ch < chunks; ch += convGroups {
			i0, i1 := ch*c.g, min((ch+1)*c.g, c.n)
			l := (i1 - i0) * hw
			s.col = grow(s.col, max(ckk, c.OutC)*l)
			s.yt = grow(s.yt, c.OutC*l)
			// dŶ of the chunk, and the bias gradient
			for o := range c.OutC {
				var sum float32
				for i := i0; i < i1; i++ {
					src := c.dy.Data[(i*c.OutC+o)*hw:][:hw]
					copy(s.yt[o*l+(i-i0)*hw:][:hw], src)
					for _, v := range src {
						sum += v
					}
				}
				gb[o] += sum
			}
			c.im2col(s.col, i0, i1)
			gemmSerial(false, true, c.OutC, ckk, l, 1, s.yt, l, s.col, l, 1, gw, ckk)
			if c.NoInputGrad {
				continue
			}
			gemmSerial(true, false, ckk, l, c.OutC, 1, c.W.W, ckk, s.yt, l, 0, s.col, l)
			c.col2im(s.col, i0, i1)
		}
	}
	convPool.Put(s)
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

// im2col writes X̂ for images [i0, i1) of c.x into col: row (c·k+u)·k+v,
// column ((n−i0)·H'+i)·W'+j holds x[n, c, i·s+u−p, j·s+v−p] (0 outside the
// image).
func (c *Conv2D) im2col(col []float32, i0, i1 int) {
	if im2colFast(c, col, i0, i1) {
		return
	}
	x := c.x.Data
	k, s, p := c.K, c.Stride, c.Pad
	h, w, ho, wo := c.h, c.w, c.ho, c.wo
	hw, l := ho*wo, (i1-i0)*ho*wo
	for ch := range c.InC {
		for u := range k {
			for v := range k {
				row := col[((ch*k+u)*k+v)*l:][:l]
				jlo, jhi := validRange(wo, w, s, p, v)
				for img := i0; img < i1; img++ {
					plane := x[(img*c.InC+ch)*h*w:][:h*w]
					for i := range ho {
						dst := row[(img-i0)*hw+i*wo:][:wo]
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

// col2im sets images [i0, i1) of c.dx to the sum of the entries of the
// X̂-shaped col read from each pixel (the adjoint of im2col).
func (c *Conv2D) col2im(col []float32, i0, i1 int) {
	dx := c.dx.Data
	k, s, p := c.K, c.Stride, c.Pad
	h, w, ho, wo := c.h, c.w, c.ho, c.wo
	hw, l := ho*wo, (i1-i0)*ho*wo
	clear(dx[i0*c.InC*h*w : i1*c.InC*h*w])
	if col2imFast(c, col, i0, i1) {
		return
	}
	for ch := range c.InC {
		for u := range k {
			for v := range k {
				row := col[((ch*k+u)*k+v)*l:][:l]
				jlo, jhi := validRange(wo, w, s, p, v)
				for img := i0; img < i1; img++ {
					plane := dx[(img*c.InC+ch)*h*w:][:h*w]
					for i := range ho {
						r := i*s - p + u
						if r < 0 || r >= h {
							continue
						}
						src := row[(img-i0)*hw+i*wo:][:wo]
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
