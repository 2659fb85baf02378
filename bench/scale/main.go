// Command scale measures training AEIR on precomp data the size of the
// usual benchmarks, on one machine: a source domain shaped like MS-COCO's
// VSE++ precomp (113,287 training images × 2,048 float32 features, five
// captions each) and a target shaped like Flickr30K's (29,000 training
// images, dev and test of 1,000), both synthetic.
//
//	go run ./bench/scale                      # full size, one epoch
//	go run ./bench/scale -scale 0.05          # 5 % of the training images
//	go run ./bench/scale -dir /tmp/s -keep    # keep (and reuse) the data
//
// The data is generated into a temporary directory (or -dir) as
// coco_precomp and f30k_precomp: {split}_ims.npy written row by row behind
// its header, and {split}_caps.txt. It is seeded and deterministic, and
// structured so that retrieval can be learnt: K latent concepts, each with
// a random 2,048-d feature vector and three synonyms; an image mixes
// three concepts (its features are the weighted sum of theirs plus
// Gaussian noise) and each of its captions names some of them with
// domain-preferred synonyms between filler words. The target domain's
// concept vectors are rotated (random Givens rotations of dimension
// pairs), rescaled per dimension and shifted, and its captions prefer
// other synonyms and fillers: a domain gap that transfer can close.
//
// Training goes through the same code as `aeir train -method aeir
// -source DIR/coco_precomp -target DIR/f30k_precomp`: train.Defaults(),
// run.Prepare, train.New and Trainer.Run. The program prints the data's
// size on disk, the seconds to load it (run.Prepare: parsing, validating,
// hashing and building the task), the seconds per epoch, the peak
// resident memory (VmHWM) and its ratio to one copy of the features, the
// final validation rsum, and all of it again as one JSON line.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"aeir/data"
	"aeir/data/formats"
	"aeir/run"
	"aeir/train"
)

// The sizes of the real data sets (VSE++ precomp: COCO's train is the
// Karpathy train plus restval; Flickr30K's splits are 29,000/1,000/1,000).
const (
	featDim      = 2048
	capsPerImage = 5
	cocoTrain    = 113287
	f30kTrain    = 29000
	f30kEval     = 1000 // target dev and test, at every scale
	cocoEval     = 500  // source dev and test (small: only the source test is used, in-domain)
	concepts     = 400  // K latent concepts
	perImage     = 3    // concepts mixed in one image
	noiseStd     = 0.6  // per-dimension Gaussian noise of a feature row
	conceptStd   = 0.5  // per-dimension scale of a concept's feature vector
	stampFile    = "bench-scale.json"
	genVersion   = 1 // bump when the generator changes: a kept -dir is then regenerated
)

type split struct {
	file string // file prefix: train, dev, test
	n    int    // images
}

type domain struct {
	dir    string // e.g. coco_precomp
	target bool
	splits []split
}

func main() {
	scale := flag.Float64("scale", 1, "fraction of the training images of both domains (e.g. 0.02 for a quick check); dev and test keep their size")
	epochs := flag.Int("epochs", 1, "epochs to train")
	dir := flag.String("dir", "", "where to write the data (default: a temporary directory); data already there from the same -scale and -seed is reused")
	keep := flag.Bool("keep", false, "keep the generated data and the run directory (a -dir's data is always kept)")
	seed := flag.Uint64("seed", 1, "seed of the synthetic data")
	strSample := flag.Int("str-sample", 0, "search structural neighbours among a seeded sample of this many source items (aeir train -str-sample; 0: all)")
	strWarmup := flag.Int("str-warmup", train.Defaults().StrWarmup, "epochs before L_str starts (aeir train's default; with fewer epochs the structural neighbour search never runs)")
	memProfile := flag.String("memprofile", "", "write a heap profile (live memory after training, by allocation site) to this file")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of loading and training to this file")
	flag.Parse()
	if err := bench(*scale, *epochs, *dir, *keep, *seed, *strWarmup, *strSample, *memProfile, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "bench/scale:", err)
		os.Exit(1)
	}
}

// result is the JSON line printed at the end.
type result struct {
	Scale            float64   `json:"scale"`
	Epochs           int       `json:"epochs"`
	CPUs             int       `json:"cpus"`
	SourceTrain      int       `json:"source_train_images"`
	TargetTrain      int       `json:"target_train_images"`
	Dim              int       `json:"dim"`
	GenSeconds       float64   `json:"gen_seconds"` // 0 when reused
	DiskBytes        int64     `json:"disk_bytes"`
	DiskMB           float64   `json:"disk_mb"`
	FeatureBytes     int64     `json:"feature_bytes"` // one copy of every split's features, both domains
	FeatureMB        float64   `json:"feature_mb"`
	LoadSeconds      float64   `json:"load_seconds"`     // run.Prepare, hashing included
	LoadCPUSeconds   float64   `json:"load_cpu_seconds"` // user+system CPU time of the same
	HashSeconds      float64   `json:"hash_seconds"`     // run.Hash of the loaded features, timed again apart
	StepsPerEpoch    int       `json:"steps_per_epoch"`
	EpochSeconds     []float64 `json:"epoch_seconds"`      // the history's (training and validation)
	WallEpochSeconds float64   `json:"wall_epoch_seconds"` // Trainer.Run's wall clock / epochs (with checkpoints)
	CPUEpochSeconds  float64   `json:"cpu_epoch_seconds"`  // Trainer.Run's user+system CPU time / epochs
	SamplesPerSecond float64   `json:"samples_per_s"`
	RSSBeforeLoadMB  float64   `json:"rss_before_load_mb"`
	PeakLoadMB       float64   `json:"peak_rss_load_mb"` // VmHWM after run.Prepare
	PeakRSSMB        float64   `json:"peak_rss_mb"`      // VmHWM after training
	PeakReset        bool      `json:"peak_reset"`       // VmHWM was reset after generating (else it counts the generator too)
	PeakRatio        float64   `json:"peak_rss_over_features"`
	LiveHeapMB       float64   `json:"live_heap_after_gc_mb"` // Go heap in use after training and a GC
	ValRSum          float64   `json:"val_rsum"`
	BestValRSum      float64   `json:"best_val_rsum"`
	LoadAvg          string    `json:"loadavg"` // /proc/loadavg at the end: other work on the machine skews the times
	GOGC             string    `json:"gogc,omitempty"`
	GOMEMLIMIT       string    `json:"gomemlimit,omitempty"`
}

func bench(scale float64, epochs int, dir string, keep bool, seed uint64, strWarmup, strSample int, memProfile, cpuProfile string) error {
	if !(scale > 0 && scale <= 1) {
		return fmt.Errorf("-scale %v: want a fraction in (0, 1]", scale)
	}
	if epochs < 1 {
		return fmt.Errorf("-epochs %d: want at least 1", epochs)
	}
	n := func(full int) int { return max(16, int(math.Round(scale*float64(full)))) }
	doms := []domain{
		{dir: "coco_precomp", splits: []split{{"train", n(cocoTrain)}, {"dev", cocoEval}, {"test", cocoEval}}},
		{dir: "f30k_precomp", target: true, splits: []split{{"train", n(f30kTrain)}, {"dev", f30kEval}, {"test", f30kEval}}},
	}
	res := result{Scale: scale, Epochs: epochs, CPUs: runtime.GOMAXPROCS(0), Dim: featDim,
		SourceTrain: doms[0].splits[0].n, TargetTrain: doms[1].splits[0].n,
		GOGC: os.Getenv("GOGC"), GOMEMLIMIT: os.Getenv("GOMEMLIMIT")}

	own := dir == ""
	if own {
		d, err := os.MkdirTemp("", "aeir-scale-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if own && !keep {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS), %s/%s, %s\n", res.CPUs, runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("data: %s (source %d train images, target %d train images, %d-d float32, %d captions each)\n",
		dir, res.SourceTrain, res.TargetTrain, featDim, capsPerImage)

	// 1. the data
	stamp := fmt.Sprintf(`{"version":%d,"seed":%d,"sizes":%v}`, genVersion, seed, sizesOf(doms))
	if b, err := os.ReadFile(filepath.Join(dir, stampFile)); err == nil && string(b) == stamp {
		fmt.Println("generate: reusing the data in", dir)
	} else {
		os.Remove(filepath.Join(dir, stampFile))
		t0 := time.Now()
		w := newWorld(seed)
		for di, d := range doms {
			for si, s := range d.splits {
				if err := w.writeSplit(filepath.Join(dir, d.dir), d, s, uint64(di)<<56|uint64(si)<<48); err != nil {
					return err
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, stampFile), []byte(stamp), 0o644); err != nil {
			return err
		}
		res.GenSeconds = time.Since(t0).Seconds()
		fmt.Printf("generate: %.1f s\n", res.GenSeconds)
	}
	for _, d := range doms {
		sz, err := dirBytes(filepath.Join(dir, d.dir))
		if err != nil {
			return err
		}
		res.DiskBytes += sz
		for _, s := range d.splits {
			res.FeatureBytes += int64(s.n) * featDim * 4
		}
	}
	res.DiskMB, res.FeatureMB = mb(res.DiskBytes), mb(res.FeatureBytes)
	fmt.Printf("disk: %d bytes (%.1f MB) in %s and %s; features alone (one copy, every split): %d bytes (%.1f MB)\n",
		res.DiskBytes, res.DiskMB, doms[0].dir, doms[1].dir, res.FeatureBytes, res.FeatureMB)

	// 2. load, exactly as aeir train does (it passes nil limits: the defaults)
	runtime.GC()
	res.PeakReset = resetPeakRSS()
	res.RSSBeforeLoadMB = procStatusMB("VmRSS")
	opt := train.Defaults()
	opt.Method = "aeir"
	opt.Epochs = epochs
	opt.StrWarmup, opt.StrSample = strWarmup, strSample
	opt.Data.Source = filepath.Join(dir, doms[0].dir)
	opt.Data.Target = filepath.Join(dir, doms[1].dir)
	opt.Data.Seed = opt.Seed
	var lim *formats.Limits // nil: formats.DefaultLimits(), as aeir train
	if need := int64(max(res.SourceTrain, res.TargetTrain)) * featDim; need > formats.DefaultLimits().MaxFeatures {
		lim = formats.DefaultLimits()
		lim.MaxFeatures = need
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t0, c0 := time.Now(), cpuSeconds()
	task, err := run.Prepare(&opt, lim)
	if err != nil {
		return err
	}
	res.LoadSeconds, res.LoadCPUSeconds = time.Since(t0).Seconds(), cpuSeconds()-c0
	res.PeakLoadMB = procStatusMB("VmHWM")
	t0 = time.Now()
	hashFeatures(task)
	res.HashSeconds = time.Since(t0).Seconds()
	fmt.Printf("load: %.2f s (%.2f s CPU; run.Prepare: parse, validate, hash, task); hashing the loaded features alone: %.2f s; peak RSS so far %.0f MB (%.0f MB before loading)\n",
		res.LoadSeconds, res.LoadCPUSeconds, res.HashSeconds, res.PeakLoadMB, res.RSSBeforeLoadMB)

	// 3. train
	runDir, err := os.MkdirTemp(dir, "run-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(runDir)
	}
	tr, err := train.New(task, opt, runDir, false)
	if err != nil {
		return err
	}
	tr.Log = os.Stderr
	res.StepsPerEpoch = tr.StepsPerEpoch()
	fmt.Printf("train: method %s, %d epochs of %d steps (batch %d source pairs + %d target images and sentences), run %s\n",
		opt.Method, epochs, res.StepsPerEpoch, opt.Batch, opt.TargetBatch, runDir)
	t0, c0 = time.Now(), cpuSeconds()
	if err := tr.Run(); err != nil {
		return err
	}
	wall := time.Since(t0).Seconds()
	res.CPUEpochSeconds = (cpuSeconds() - c0) / float64(epochs)
	res.PeakRSSMB = procStatusMB("VmHWM")
	res.WallEpochSeconds = wall / float64(epochs)
	hist := tr.History()
	for _, e := range hist {
		res.EpochSeconds = append(res.EpochSeconds, e.Seconds)
		res.BestValRSum = max(res.BestValRSum, e.ValRSum)
	}
	if len(hist) > 0 {
		last := hist[len(hist)-1]
		res.ValRSum, res.SamplesPerSecond = last.ValRSum, last.SamplesPS
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.LiveHeapMB = mb(int64(ms.HeapAlloc))
	res.PeakRatio = res.PeakRSSMB / res.FeatureMB
	if memProfile != "" {
		if err := writeHeapProfile(memProfile); err != nil {
			return err
		}
	}
	runtime.KeepAlive(task)

	fmt.Printf("epoch: %s s (history: training + validation); %.1f s wall, %.1f s CPU per epoch (with checkpoints); %.0f source pairs/s\n",
		floats(res.EpochSeconds), res.WallEpochSeconds, res.CPUEpochSeconds, res.SamplesPerSecond)
	what := "since loading began"
	if !res.PeakReset {
		what = "of the whole process (VmHWM could not be reset)"
	}
	fmt.Printf("memory: peak RSS %.0f MB %s = %.2f × the features (%.0f MB); Go heap live after training %.0f MB\n",
		res.PeakRSSMB, what, res.PeakRatio, res.FeatureMB, res.LiveHeapMB)
	fmt.Printf("val rsum: %.2f (best %.2f)\n", res.ValRSum, res.BestValRSum)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil && len(strings.Fields(string(b))) >= 3 {
		res.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
		fmt.Printf("load average (1, 5, 15 min): %s on %d CPUs\n", res.LoadAvg, res.CPUs)
	}
	if own && keep {
		fmt.Println("kept:", dir)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

// hashFeatures runs run.Hash over every feature array of the task, to time
// the hashing part of loading apart.
func hashFeatures(task *data.Task) {
	cs := map[string]*data.Collection{}
	tt := &data.Collection{Images: task.Train.TargetImages}
	for k, c := range map[string]*data.Collection{"train": task.Train.Source, "": tt, "val": task.Val, "test": task.Test} {
		if c != nil {
			cs[k] = &data.Collection{Images: c.Images}
		}
	}
	run.Hash(cs)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func sizesOf(doms []domain) string {
	var s []string
	for _, d := range doms {
		for _, sp := range d.splits {
			s = append(s, d.dir+"/"+sp.file+"="+strconv.Itoa(sp.n))
		}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strings.Join(s, ", ")
}

// cpuSeconds is the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0 // unknown
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// procStatusMB reads a kB field of /proc/self/status (Linux) in MiB, or −1.
func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux: writing 5 to
// /proc/self/clear_refs), so the peak measured is that of loading and
// training, not of generating; it reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil // kernels before 4.0 refuse it
}

// ---- the synthetic world ---------------------------------------------------

// world is the generator's fixed part: concept words and each domain's
// concept feature vectors.
type world struct {
	seed    uint64
	words   [][3]string     // synonyms of each concept
	feat    [2][][]float32  // [source, target][concept] feature vector
	shift   []float32       // target offset of every row
	prefer  [2][3]float64   // probability of each synonym, by domain
	fillers [2][][]string   // connectors between concept words, by domain
	endings [2][]string     // optional closing phrases, by domain
	article [2][]string     // opening words, by domain
	capBuf  strings.Builder // one caption
}

func newWorld(seed uint64) *world {
	w := &world{seed: seed}
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	// concept words: letters only, unique, built from syllables
	cons, vows := "bdfgklmnprstvz", "aeiou"
	seen := map[string]bool{}
	word := func() string {
		for {
			var b strings.Builder
			for range 2 + rng.IntN(2) {
				b.WriteByte(cons[rng.IntN(len(cons))])
				b.WriteByte(vows[rng.IntN(len(vows))])
			}
			if rng.IntN(3) == 0 {
				b.WriteByte(cons[rng.IntN(len(cons))])
			}
			if s := b.String(); !seen[s] {
				seen[s] = true
				return s
			}
		}
	}
	w.words = make([][3]string, concepts)
	for k := range w.words {
		for j := range 3 {
			w.words[k][j] = word()
		}
	}
	// concept feature vectors; the target's are rotated, rescaled, shifted
	src := make([][]float32, concepts)
	for k := range src {
		src[k] = make([]float32, featDim)
		for d := range src[k] {
			src[k][d] = float32(conceptStd * rng.NormFloat64())
		}
	}
	perm := rng.Perm(featDim)
	angle := make([]float64, featDim/2)
	for p := range angle {
		angle[p] = (rng.Float64()*2 - 1) * 0.6 // up to ±34°
	}
	gain := make([]float32, featDim)
	w.shift = make([]float32, featDim)
	for d := range gain {
		gain[d] = float32(0.8 + 0.45*rng.Float64())
		w.shift[d] = float32(0.3 * rng.NormFloat64())
	}
	tgt := make([][]float32, concepts)
	for k, v := range src {
		t := make([]float32, featDim)
		for p, a := range angle {
			i, j := perm[2*p], perm[2*p+1]
			c, s := math.Cos(a), math.Sin(a)
			t[i] = float32(c*float64(v[i]) - s*float64(v[j]))
			t[j] = float32(s*float64(v[i]) + c*float64(v[j]))
		}
		for d := range t {
			t[d] *= gain[d]
		}
		tgt[k] = t
	}
	w.feat = [2][][]float32{src, tgt}
	w.prefer = [2][3]float64{{0.6, 0.3, 0.1}, {0.1, 0.3, 0.6}}
	w.article = [2][]string{{"a", "the", "an image of a", "some"}, {"a", "two", "the", "people and a"}}
	w.fillers = [2][][]string{
		{{"with"}, {"and"}, {"near"}, {"on", "a"}, {"next", "to", "the"}},
		{{"with"}, {"and"}, {"beside"}, {"at", "the"}, {"while", "a"}},
	}
	w.endings = [2][]string{{"in a room", "on the table", "outside", "in the picture"}, {"in the street", "at night", "shows", "in a park"}}
	return w
}

// writeSplit writes dir/{s.file}_ims.npy, row by row behind its header, and
// dir/{s.file}_caps.txt. Row r is drawn from its own generator, seeded by
// (world seed, stream|r), so a split's first rows do not depend on its size.
func (w *world) writeSplit(dir string, d domain, s split, stream uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dom := 0
	if d.target {
		dom = 1
	}
	ims, err := os.Create(filepath.Join(dir, s.file+"_ims.npy"))
	if err != nil {
		return err
	}
	defer ims.Close()
	caps, err := os.Create(filepath.Join(dir, s.file+"_caps.txt"))
	if err != nil {
		return err
	}
	defer caps.Close()
	iw, cw := bufio.NewWriterSize(ims, 1<<20), bufio.NewWriterSize(caps, 1<<16)
	if err := writeNpyHeader(iw, s.n, featDim); err != nil {
		return err
	}
	row := make([]float32, featDim)
	enc := make([]byte, 0, 4*featDim)
	var pick [perImage]int
	var wt [perImage]float32
	for r := range s.n {
		rng := rand.New(rand.NewPCG(w.seed, stream|uint64(r)))
		for j := range pick {
		again:
			pick[j] = rng.IntN(concepts)
			for i := range j {
				if pick[i] == pick[j] {
					goto again
				}
			}
			wt[j] = 1
			if j > 0 {
				wt[j] = float32(0.5 + 0.5*rng.Float64())
			}
		}
		for c := range capsPerImage {
			if _, err := cw.WriteString(w.caption(rng, dom, pick[:], c)); err != nil {
				return err
			}
			cw.WriteByte('\n')
		}
		f := w.feat[dom]
		a, b, c := f[pick[0]], f[pick[1]], f[pick[2]]
		for k := range row {
			v := wt[0]*a[k] + wt[1]*b[k] + wt[2]*c[k] + float32(noiseStd*rng.NormFloat64())
			if d.target {
				v += w.shift[k]
			}
			row[k] = v
		}
		enc = enc[:0]
		for _, v := range row {
			enc = binary.LittleEndian.AppendUint32(enc, math.Float32bits(v))
		}
		if _, err := iw.Write(enc); err != nil {
			return err
		}
	}
	if err := iw.Flush(); err != nil {
		return err
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := ims.Close(); err != nil {
		return err
	}
	return caps.Close()
}

// caption writes the c-th caption of an image of concepts pick: its first
// concept always, each other with probability 0.8, in random order, each
// by a synonym the domain prefers, joined by the domain's fillers.
func (w *world) caption(rng *rand.Rand, dom int, pick []int, c int) string {
	named := []int{pick[0]}
	for _, k := range pick[1:] {
		if rng.Float64() < 0.8 {
			named = append(named, k)
		}
	}
	rng.Shuffle(len(named), func(i, j int) { named[i], named[j] = named[j], named[i] })
	b := &w.capBuf
	b.Reset()
	b.WriteString(w.article[dom][(c+rng.IntN(2))%len(w.article[dom])])
	for i, k := range named {
		if i > 0 {
			for _, f := range w.fillers[dom][rng.IntN(len(w.fillers[dom]))] {
				b.WriteByte(' ')
				b.WriteString(f)
			}
		}
		u, syn := rng.Float64(), 0
		for syn < 2 && u >= w.prefer[dom][syn] {
			u -= w.prefer[dom][syn]
			syn++
		}
		b.WriteByte(' ')
		b.WriteString(w.words[k][syn])
	}
	if rng.IntN(2) == 0 {
		b.WriteByte(' ')
		b.WriteString(w.endings[dom][rng.IntN(len(w.endings[dom]))])
	}
	return b.String()
}

// writeNpyHeader writes a version 1.0 .npy header for a C-ordered
// little-endian float32 array of n×d: magic, version, header length, and
// the dictionary padded with spaces and a newline so that the data starts
// at a multiple of 64 bytes.
func writeNpyHeader(w io.Writer, n, d int) error {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n, d)
	const pre = 10 // magic (6), version (2), length (2)
	pad := 63 - (pre+len(dict))%64
	dict += strings.Repeat(" ", pad) + "\n"
	if len(dict) > math.MaxUint16 {
		return errors.New("npy header too long")
	}
	hdr := []byte("\x93NUMPY\x01\x00")
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(dict)))
	hdr = append(hdr, dict...)
	_, err := w.Write(hdr)
	return err
}
