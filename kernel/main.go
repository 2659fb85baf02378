// Command aeir-kernel is the project's Jupyter kernel for Go: the gomacro
// interpreter behind the Jupyter messaging protocol 5.3, with the
// project's packages, gonum, gonum/plot and gota compiled in, and the
// display API of gophernotes, so that notebooks written for gophernotes
// run on it.
//
// Usage:
//
//	aeir-kernel CONNECTION_FILE        serve (Jupyter starts it this way)
//	aeir-kernel -install DIR           write DIR/kernels/aeir-go/kernel.json
//
// With -install, the kernelspec points at this executable; Jupyter finds
// it when DIR is on JUPYTER_PATH. scripts/kernel.sh builds and installs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
)

const version = "0.2.0"

// The kernelspec: notebooks name the kernel they run on by specName (their
// metadata.kernelspec.name); Jupyter's menus show specDisplayName.
const (
	specName        = "aeir-go"
	specDisplayName = "Go (AEIR)"
)

func main() {
	install := flag.String("install", "", "write the kernelspec under `DIR`/kernels/NAME and exit")
	name := flag.String("name", specName, "kernelspec `name` (gophernotes makes notebooks written for gophernotes pick this kernel)")
	displayName := flag.String("display-name", specDisplayName, "kernelspec display name")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: aeir-kernel CONNECTION_FILE\n       aeir-kernel -install DIR [-name NAME] [-display-name TEXT]\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	logger := log.New(os.Stderr, "aeir-kernel: ", log.LstdFlags)
	if *install != "" {
		dir, err := installKernelspec(*install, *name, *displayName)
		if err != nil {
			logger.Fatal(err)
		}
		fmt.Println(dir)
		return
	}
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := serve(flag.Arg(0), logger); err != nil {
		logger.Fatal(err)
	}
}

// serve runs the kernel on a connection file until shutdown.
func serve(connFile string, logger *log.Logger) error {
	ci, err := readConnInfo(connFile)
	if err != nil {
		return err
	}
	k, err := newKernel(ci, logger)
	if err != nil {
		return err
	}
	// Jupyter interrupts a kernel (interrupt_mode "signal") with SIGINT.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	go func() {
		for range sigs {
			k.interrupt()
		}
	}()
	k.run()
	signal.Stop(sigs)
	return nil
}

// installKernelspec writes DIR/kernels/NAME/kernel.json for this
// executable and returns the directory.
func installKernelspec(dir, name, displayName string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", err
	}
	spec := map[string]interface{}{
		"argv":           []string{exe, "{connection_file}"},
		"display_name":   displayName,
		"language":       "go",
		"interrupt_mode": "signal",
		"metadata":       map[string]interface{}{"implementation": "aeir-kernel " + version},
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	kdir := filepath.Join(dir, "kernels", name)
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(kdir, ".kernel.json-*")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	os.Chmod(tmp.Name(), 0o644)
	if err := os.Rename(tmp.Name(), filepath.Join(kdir, "kernel.json")); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return kdir, nil
}
