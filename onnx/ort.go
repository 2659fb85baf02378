package onnx

import (
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

//go:embed ort_run.cjs
var ortScript []byte

// ErrNoORT is returned by FindORT when node or onnxruntime-node is not
// installed.
var ErrNoORT = errors.New("onnxruntime-node not available")

// ModulesEnv names the environment variable that points at the
// node_modules folder holding onnxruntime-node (and onnxruntime-web).
const ModulesEnv = "AEIR_ONNX_MODULES"

// ORT runs ONNX models on onnxruntime-node, the reference runtime, through
// a small node script (one process per Run, one thread per session).
type ORT struct {
	Node    string // node executable
	Modules string // node_modules folder holding onnxruntime-node
}

// FindORT locates node and onnxruntime-node: the modules folder is
// $AEIR_ONNX_MODULES, or .cache/onnx/node_modules in the working directory
// or one of its parents (where scripts/onnx.sh install puts it). The error
// wraps ErrNoORT and says how to install what is missing.
func FindORT() (*ORT, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: no node on PATH (install Debian's nodejs, then scripts/onnx.sh install)", ErrNoORT)
	}
	mods := os.Getenv(ModulesEnv)
	if mods == "" {
		dir, _ := os.Getwd()
		for {
			c := filepath.Join(dir, ".cache", "onnx", "node_modules")
			if _, err := os.Stat(filepath.Join(c, "onnxruntime-node", "package.json")); err == nil {
				mods = c
				break
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
	}
	if mods == "" {
		return nil, fmt.Errorf("%w: no .cache/onnx/node_modules/onnxruntime-node here or above; run scripts/onnx.sh install (or set %s)", ErrNoORT, ModulesEnv)
	}
	if _, err := os.Stat(filepath.Join(mods, "onnxruntime-node", "package.json")); err != nil {
		return nil, fmt.Errorf("%w: %s has no onnxruntime-node; run scripts/onnx.sh install", ErrNoORT, mods)
	}
	abs, err := filepath.Abs(mods)
	if err != nil {
		return nil, err
	}
	return &ORT{Node: node, Modules: abs}, nil
}

// ORTJob is one model run: the input named Input, shaped Dims, run Repeat
// times (at least once) on one session.
type ORTJob struct {
	Model  string
	Input  string
	Dims   []int
	X      []float32
	Repeat int
}

// ORTResult is the output of every repeat of a job, with its shape.
type ORTResult struct {
	Dims    []int
	Outputs [][]float32
}

// Run runs the jobs in one node process and returns their first outputs.
// It returns the onnxruntime version too.
func (o *ORT) Run(jobs []ORTJob) ([]ORTResult, string, error) {
	dir, err := os.MkdirTemp("", "aeir-ort-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "ort_run.cjs")
	if err := os.WriteFile(script, ortScript, 0o644); err != nil {
		return nil, "", err
	}
	type jobJSON struct {
		Model  string `json:"model"`
		Input  string `json:"input"`
		Dims   []int  `json:"dims"`
		In     string `json:"in"`
		Out    string `json:"out"`
		Repeat int    `json:"repeat"`
	}
	var js []jobJSON
	for i, j := range jobs {
		in := filepath.Join(dir, "in"+strconv.Itoa(i)+".f32")
		if err := os.WriteFile(in, f32Bytes(j.X), 0o644); err != nil {
			return nil, "", err
		}
		model, err := filepath.Abs(j.Model)
		if err != nil {
			return nil, "", err
		}
		js = append(js, jobJSON{Model: model, Input: j.Input, Dims: j.Dims, In: in,
			Out: filepath.Join(dir, "out"+strconv.Itoa(i)+".f32"), Repeat: max(j.Repeat, 1)})
	}
	b, _ := json.Marshal(js)
	jobsFile := filepath.Join(dir, "jobs.json")
	if err := os.WriteFile(jobsFile, b, 0o644); err != nil {
		return nil, "", err
	}
	cmd := exec.Command(o.Node, script, jobsFile)
	cmd.Env = append(os.Environ(), ModulesEnv+"="+o.Modules)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("onnxruntime-node: %v: %s", err, stderr.b)
	}
	var rep struct {
		Version string `json:"version"`
		Results []struct {
			Dims []int `json:"dims"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Results) != len(jobs) {
		return nil, "", fmt.Errorf("onnxruntime-node: unexpected output %q (%w)", out, err)
	}
	res := make([]ORTResult, len(jobs))
	for i, j := range js {
		res[i].Dims = rep.Results[i].Dims
		for r := range j.Repeat {
			f := j.Out
			if r > 0 {
				f += "." + strconv.Itoa(r)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, "", err
			}
			res[i].Outputs = append(res[i].Outputs, f32From(b))
		}
	}
	return res, rep.Version, nil
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 8192 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

func f32Bytes(x []float32) []byte {
	b := make([]byte, 0, 4*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func f32From(b []byte) []float32 {
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return x
}
