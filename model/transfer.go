package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"aeir/nn"
)

// DANNLambda is the gradient-reversal schedule of DANN:
//
//	λ_p = ceiling · (2 / (1 + exp(−γ·p)) − 1),  p ∈ [0, 1] the training progress, γ = 10,
//
// which starts at 0 (the discriminator learns before it pushes back) and
// approaches the ceiling.
func DANNLambda(p, ceiling float64) float64 {
	return ceiling * (2/(1+math.Exp(-10*p)) - 1)
}

// Discriminator is a domain classifier D on embeddings of one modality,
// trained with binary cross-entropy to tell source (label 1) from target
// (label 0):
//
//	L_adv = −(1/N) Σ_n [ y_n log σ(D(z_n)) + (1 − y_n) log(1 − σ(D(z_n))) ]
//
// Its own weights descend ∂L_adv; the encoder that produced z receives the
// reversed gradient −λ·∂L_adv/∂z (the gradient-reversal layer of DANN), so
// the encoder learns embeddings the discriminator cannot separate.
//
//	D: ℝᴰ → Linear(D, H) → ReLU → Linear(H, H) → ReLU → Linear(H, 1)
type Discriminator struct {
	Net *nn.Sequential
	grl *nn.GradReverse
	y   *nn.Tensor
	dl  *nn.Tensor
}

// NewDiscriminator builds a discriminator with hidden width h; its
// parameter names start with name.
func NewDiscriminator(name string, d, h int, seed uint64) *Discriminator {
	rng := rand.New(rand.NewPCG(seed, 0xd15c))
	g := nn.NewGradReverse(0)
	net := nn.NewSequential(g, nn.NewLinear(rng, d, h), nn.NewReLU(), nn.NewLinear(rng, h, h), nn.NewReLU(), nn.NewLinear(rng, h, 1))
	nn.Prefix(name+".", nn.Tensors(net))
	return &Discriminator{Net: net, grl: g}
}

// Params are the discriminator's weights.
func (d *Discriminator) Params() []*nn.Param { return d.Net.Params() }

// Loss classifies the rows of z (N×D), the first nSource of which are
// source embeddings, adds the reversed, λ-scaled gradient into dz (N×D) and
// the discriminator's own gradient into its Params, and returns L_adv and
// the balanced classification accuracy (mean of the source and target
// accuracies: 50 % is chance whatever the batch proportions).
func (d *Discriminator) Loss(z *nn.Tensor, nSource int, lambda float32, dz []float32) (loss, acc float32) {
	n := z.Rows()
	if len(dz) != z.Size() {
		panic(fmt.Sprintf("model: Discriminator.Loss dz %d for z %v", len(dz), z.Shape))
	}
	d.grl.SetLambda(lambda)
	logits := d.Net.Forward(z, true)
	d.y = nn.Ensure(d.y, n, 1)
	for i := range d.y.Data {
		d.y.Data[i] = 0
		if i < nSource {
			d.y.Data[i] = 1
		}
	}
	loss = nn.BCEWithLogitsTo(&d.dl, logits, d.y)
	// balanced accuracy: the mean of the per-domain accuracies, so 50 %
	// means the domains are confused whatever the batch proportions
	var rs, rt int
	for i, l := range logits.Data {
		switch {
		case i < nSource && l > 0:
			rs++
		case i >= nSource && l <= 0:
			rt++
		}
	}
	gz := d.Net.Backward(d.dl)
	for i, g := range gz.Data {
		dz[i] += g
	}
	acc = float32(rs) / float32(max(nSource, 1)) / 2
	if n > nSource {
		acc += float32(rt) / float32(n-nSource) / 2
	} else {
		acc *= 2
	}
	return loss, acc
}

// MMD is the multi-kernel maximum mean discrepancy of DAN between the
// source rows x (first nSource rows of z) and the target rows y of one
// modality's embeddings, with Gaussian kernels k_σ(a, b) = exp(−‖a−b‖²/σ²)
// over the bandwidths Sigmas (the biased estimator, averaged over kernels):
//
//	MMD² = (1/K) Σ_σ [ mean_{i,i'} k_σ(x_i, x_i') + mean_{j,j'} k_σ(y_j, y_j') − 2 mean_{i,j} k_σ(x_i, y_j) ]
type MMD struct {
	Sigmas []float64
}

// DefaultMMD has bandwidths spanning the distances of unit vectors (0…2).
func DefaultMMD() MMD { return MMD{Sigmas: []float64{0.25, 0.5, 1, 2, 4}} }

// Loss returns MMD² of z's first nSource rows against the rest and adds
// weight·∂MMD²/∂z into dz.
func (m MMD) Loss(z []float32, n, d, nSource int, weight float32, dz []float32) float32 {
	ns, nt := nSource, n-nSource
	if ns < 1 || nt < 1 {
		return 0
	}
	var total float64
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			var d2 float64
			zi, zj := z[i*d:(i+1)*d], z[j*d:(j+1)*d]
			for k := range zi {
				t := float64(zi[k] - zj[k])
				d2 += t * t
			}
			// coefficient of k(z_i, z_j) in MMD², for the unordered pair i ≤ j
			var c float64
			switch {
			case i < ns && j < ns:
				c = 1 / float64(ns*ns)
			case i >= ns && j >= ns:
				c = 1 / float64(nt*nt)
			default: // i source, j target: once in Σ_{i∈S, j∈T}
				c = -2 / float64(ns*nt)
			}
			if i != j && (i < ns) == (j < ns) {
				c *= 2 // a within-domain pair appears as (i,j) and (j,i)
			}
			var kv, dk float64 // Σ_σ k, Σ_σ ∂k/∂d2
			for _, s := range m.Sigmas {
				e := math.Exp(-d2 / (s * s))
				kv += e
				dk += -e / (s * s)
			}
			kv /= float64(len(m.Sigmas))
			dk /= float64(len(m.Sigmas))
			total += c * kv
			if i == j {
				continue
			}
			g := float32(weight) * float32(c*dk*2) // ∂d2/∂z_i = 2(z_i − z_j)
			di, dj := dz[i*d:(i+1)*d], dz[j*d:(j+1)*d]
			for k := range zi {
				t := g * (zi[k] - zj[k])
				di[k] += t
				dj[k] -= t
			}
		}
	}
	return float32(total)
}

// Structural is the structural-transfer loss L_str: target embeddings
// z_r of one modality are pulled towards a positive of the other modality
// taken from a bank of source embeddings b (constants: no gradient flows
// into the bank), against negatives from the same bank:
//
//	L_str = (1/R) Σ_r Σ_{n ∈ N, g(n) ≠ g(p_r)} [β − z_r·b_{p_r} + z_r·b_n]₊
//
// over the R rows with a positive (p_r ≥ 0); g gives each bank row's group
// (rows showing the same source image are not negatives of each other).
// For a target image, p_r is the source sentence paired with its nearest
// source image; for a target sentence, the source image paired with its
// nearest source sentence.
type Structural struct {
	Margin float32 // β
}

// Loss adds weight·∂L_str/∂z into dz and returns L_str and the number of
// rows that had a positive.
func (s Structural) Loss(z []float32, n, d int, pos []int, bank []float32, group []int, negs []int, weight float32, dz []float32) (float32, int) {
	rows := 0
	for _, p := range pos[:n] {
		if p >= 0 {
			rows++
		}
	}
	if rows == 0 {
		return 0, 0
	}
	inv := 1 / float32(rows)
	var loss float32
	for r := 0; r < n; r++ {
		p := pos[r]
		if p < 0 {
			continue
		}
		zr, bp := z[r*d:(r+1)*d], bank[p*d:(p+1)*d]
		var sp float32
		for k, x := range zr {
			sp += x * bp[k]
		}
		dr := dz[r*d : (r+1)*d]
		for _, q := range negs {
			if group[q] == group[p] {
				continue
			}
			bq := bank[q*d : (q+1)*d]
			var sq float32
			for k, x := range zr {
				sq += x * bq[k]
			}
			if h := s.Margin - sp + sq; h > 0 {
				loss += h
				for k := range dr {
					dr[k] += weight * inv * (bq[k] - bp[k])
				}
			}
		}
	}
	return loss * inv, rows
}

// InfoMax is an information-maximisation loss on target embeddings z_r of
// one modality, read as a classifier over the concepts of a source bank b
// of the other modality (constants):
//
//	p_r = softmax_j(z_r·b_j / τ),  p̄ = (1/R) Σ_r p_r
//	L_im = (1/R) Σ_r H(p_r) − H(p̄)
//
// The first term makes each target item commit to one source concept;
// the second keeps the batch's commitments spread over many concepts, so a
// few "hub" concepts (round orange things, say) cannot absorb the target
// domain. In the deploy and shared protocols every target image of a batch
// shows a different concept, which is what the spread term asks for. This
// is not in the AEIR paper; it is the information-maximisation objective
// of source-free domain adaptation (SHOT), used here as an extra term of
// the structural transfer. See docs/DESIGN.md.
type InfoMax struct {
	Temp float32 // τ
	p    []float32
}

// Loss adds weight·∂L_im/∂z into dz (n×d) and returns the mean entropy of
// the rows and the entropy of their mean (L_im = first − second).
func (im *InfoMax) Loss(z []float32, n, d int, bank []float32, m int, weight float32, dz []float32) (ent, div float32) {
	if n < 1 || m < 1 {
		return 0, 0
	}
	if cap(im.p) < n*m {
		im.p = make([]float32, n*m)
	}
	p := im.p[:n*m]
	inv := 1 / im.Temp
	for r := 0; r < n; r++ {
		zr, row := z[r*d:(r+1)*d], p[r*m:(r+1)*m]
		mx := float32(math.Inf(-1))
		for j := range row {
			bj := bank[j*d : (j+1)*d]
			var s float32
			for k, x := range zr {
				s += x * bj[k]
			}
			row[j] = s * inv
			mx = max(mx, row[j])
		}
		var sum float64
		for j, l := range row {
			e := math.Exp(float64(l - mx))
			row[j] = float32(e)
			sum += e
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / sum)
		}
	}
	mean := make([]float64, m)
	for r := 0; r < n; r++ {
		for j, x := range p[r*m : (r+1)*m] {
			mean[j] += float64(x) / float64(n)
		}
	}
	logMean := make([]float64, m)
	var hm float64
	for j, x := range mean {
		logMean[j] = math.Log(max(x, 1e-30))
		hm -= x * logMean[j]
	}
	var hsum float64
	g := make([]float32, m)
	for r := 0; r < n; r++ {
		row := p[r*m : (r+1)*m]
		var h, cross float64 // H(p_r) and Σ_k p_rk log p̄_k
		for j, x := range row {
			if x > 0 {
				h -= float64(x) * math.Log(float64(x))
			}
			cross += float64(x) * logMean[j]
		}
		hsum += h
		// ∂L_im/∂l_rj = (1/R) p_rj [ (log p̄_j − Σ_k p_rk log p̄_k) − (log p_rj + H_r) ]
		for j, x := range row {
			if x == 0 {
				g[j] = 0
				continue
			}
			lp := math.Log(float64(x))
			g[j] = float32(float64(x) * (logMean[j] - cross - lp - h) / float64(n))
		}
		dr := dz[r*d : (r+1)*d]
		for j, gj := range g {
			if gj == 0 {
				continue
			}
			c := weight * inv * gj
			bj := bank[j*d : (j+1)*d]
			for k := range dr {
				dr[k] += c * bj[k]
			}
		}
	}
	return float32(hsum / float64(n)), float32(hm)
}
