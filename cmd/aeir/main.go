// Command aeir builds data sets, trains and evaluates AEIR and its
// baselines, and draws figures. Run `aeir help` for the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"aeir/internal/clip"
)

// command is one subcommand: its name, one line of help, and what runs
// it with the arguments after its name.
type command struct {
	name, summary string
	run           func(args []string) error
}

// commands is every subcommand of aeir, in the order `aeir help` lists
// them. Nested commands (aeir data build, aeir plot tsne) keep their own
// tables in their files: dataCommands, plotCommands, exportCommands,
// onnxCommands.
var commands = []command{
	{"data", "build, check and describe data sets, and export them in users' formats", func(a []string) error { return runSub("data", dataCommands, a) }},
	{"train", "train a model (AEIR, a baseline or the oracle) on a scenario", trainCmd},
	{"eval", "evaluate a trained run on the target and source domains", evalCmd},
	{"bench", "run methods × scenarios × seeds and write the results table", benchCmd},
	{"plot", "draw figures: t-SNE maps, recall@K curves, training curves, results bars", func(a []string) error { return runSub("plot", plotCommands, a) }},
	{"export", "export a trained model for the browser demo and assemble the static site; --format onnx writes ONNX graphs", exportCmd},
	{"onnx", "ONNX interoperability: export and check (aeir train -image-backbone trains on an ONNX backbone's features)", func(a []string) error { return runSub("onnx", onnxCommands, a) }},
	{"adapt", "adapt the demo's model to a folder of your images (and your sentences), as the page's Adapt button does", adaptCmd},
	{"everyday", "rank the everyday queries (short words people type, each with the emoji they accept) on an exported site's galleries, as the page ranks", everydayCmd},
	{"serve", "serve the built demo site over HTTP (default http://127.0.0.1:8080/)", serveCmd},
	{"version", "print aeir's version, the commit it was built from and the Go toolchain", versionCmd},
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		return
	}
	c, ok := find(commands, os.Args[1])
	if !ok {
		fmt.Fprintf(os.Stderr, "aeir: unknown command %s\n", clip.Quote(os.Args[1]))
		usage()
		os.Exit(2)
	}
	if err := c.run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "aeir %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: aeir <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `aeir <command> -h` for its flags.")
}

// find returns the command called name.
func find(cs []command, name string) (command, bool) {
	i := slices.IndexFunc(cs, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return cs[i], true
}

// runSub runs the subcommand of "aeir name" that args start with; with
// none, it lists them (and the extra lines).
func runSub(name string, subs []command, args []string, extra ...string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		var ks []string
		for _, c := range subs {
			ks = append(ks, fmt.Sprintf("  aeir %s %-7s %s", name, c.name, c.summary))
		}
		return fmt.Errorf("want a subcommand:\n%s", strings.Join(append(ks, extra...), "\n"))
	}
	c, ok := find(subs, args[0])
	if !ok {
		return fmt.Errorf("unknown subcommand %s of aeir %s", clip.Quote(args[0]), name)
	}
	return c.run(args[1:])
}
