package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"aeir/bench/results"
	"aeir/data/formats"
	"aeir/internal/atomicfile"
	"aeir/run"
	"aeir/train"
)

// BenchOptions are the settings every method shares in the benchmark;
// they were chosen on the validation split (docs/RESULTS.md).
func benchOptions(epochs int) train.Options {
	o := train.Defaults()
	o.Epochs = epochs
	return o
}

func benchCmd(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var lim formats.Limits
	addLimitFlags(fs, &lim)
	family := fs.String("family", "image", "scenario family: image, image-text, text, novel; or, with -scenario, the name of your own family (default custom)")
	var scen runList
	fs.Var(&scen, "scenario", "SOURCE,TARGET: one scenario of your own family, each side a data source as aeir train -source takes (repeat for several), e.g. -scenario 'pairs.csv#photo,pairs.csv#sketch'")
	protocol := fs.String("protocol", "shared", "with -scenario on VendorMoji domains: the protocol (files use their own splits)")
	methods := fs.String("methods", strings.Join(results.MethodOrder, ","), "methods, comma-separated")
	seeds := fs.String("seeds", "1,2,3", "seeds, comma-separated")
	epochs := fs.Int("epochs", 10, "training epochs of every method")
	out := fs.String("out", "results", "results directory (<family>.csv, <family>.md, runs/)")
	readme := fs.String("readme", "", "also write the table into this file between <!-- bench:<family>:begin/end --> markers")
	fit := fs.Bool("fit", false, "every method reads images cropped to their content (model.Config.Fit; CCA's features too)")
	quick := fs.Bool("quick", false, "sanity run for CI: one scenario, 2 epochs, a small model; checks losses fall, the oracle beats chance and a rerun is identical")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		return results.Quick(os.Stderr)
	}
	var fam results.Family
	if len(scen) > 0 {
		name := "custom"
		if set := flagSet(fs); set["family"] {
			name = *family
		}
		if fam, err := results.FamilyByName(name); err == nil {
			return fmt.Errorf("-family %s is a built-in family; name your own scenarios otherwise", fam.Name)
		}
		fam = results.Family{Name: name, Title: "your scenarios", Protocol: *protocol}
		for _, sc := range scen {
			src, tgt, ok := strings.Cut(sc, ",")
			if !ok {
				return fmt.Errorf("-scenario %q: want SOURCE,TARGET", sc)
			}
			for _, spec := range []string{src, tgt} {
				p, err := run.ParseSpec(spec)
				if err != nil {
					return fmt.Errorf("-scenario %q: %w", sc, err)
				}
				if p.Vendor == nil {
					fam.Protocol = run.FileProtocol // the files' own splits
				}
			}
			fam.Scenarios = append(fam.Scenarios, [2]string{src, tgt})
		}
	} else {
		var err error
		if fam, err = results.FamilyByName(*family); err != nil {
			return err
		}
	}
	g := &results.Grid{Family: fam, Base: benchOptions(*epochs), Dir: *out, Log: os.Stderr, Limits: &lim}
	g.Base.Model.Fit = *fit
	for _, m := range strings.Split(*methods, ",") {
		m = strings.TrimSpace(m)
		ok := false
		for _, k := range train.Methods {
			ok = ok || k == m
		}
		if !ok {
			return fmt.Errorf("-methods: unknown method %q (have %s)", m, strings.Join(train.Methods, ", "))
		}
		g.Methods = append(g.Methods, m)
	}
	ss, err := parseInts(*seeds)
	if err != nil {
		return fmt.Errorf("-seeds: %w", err)
	}
	for _, s := range ss {
		if s < 1 {
			return fmt.Errorf("-seeds: seed %d must be positive", s)
		}
		g.Seeds = append(g.Seeds, uint64(s))
	}
	ob, _ := json.MarshalIndent(g.Base, "", "  ")
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, fam.Name+".options.json"), ob); err != nil {
		return err
	}
	rows, err := g.Run()
	if err != nil {
		return err
	}
	var md bytes.Buffer
	results.Markdown(&md, fam, rows)
	fitFlag := ""
	if *fit {
		fitFlag = " -fit"
	}
	for _, sc := range scen {
		fitFlag += fmt.Sprintf(" -scenario '%s'", sc)
	}
	fmt.Fprintf(&md, "\n*`aeir bench -family %s -seeds %s -epochs %d%s`; every run in `%s`, settings in `%s`.*\n",
		fam.Name, *seeds, *epochs, fitFlag, filepath.Join(*out, fam.Name+".csv"), filepath.Join(*out, fam.Name+".options.json"))
	if err := atomicfile.WriteFile(filepath.Join(*out, fam.Name+".md"), md.Bytes()); err != nil {
		return err
	}
	fmt.Print(md.String())
	if *readme != "" {
		doc, err := os.ReadFile(*readme)
		if err != nil {
			return err
		}
		nd, err := results.Inject(string(doc), fam.Name, md.String())
		if err != nil {
			return fmt.Errorf("%s: %w", *readme, err)
		}
		if err := atomicfile.WriteFile(*readme, []byte(nd)); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "updated %s\n", *readme)
	}
	return nil
}

// flagSet returns the names of the flags given on the command line.
func flagSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
