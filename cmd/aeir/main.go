// Command aeir builds data sets, trains and evaluates AEIR and its
// baselines, and draws figures. Run `aeir help` for the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		return
	}
	c, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "aeir: unknown command %q\n", os.Args[1])
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
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun `aeir <command> -h` for its flags.")
}

// sub dispatches "aeir data build" style nested commands.
func sub(name string, subs map[string]command) func([]string) error {
	return func(args []string) error {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			var ks []string
			for k, c := range subs {
				ks = append(ks, fmt.Sprintf("  aeir %s %-7s %s", name, k, c.summary))
			}
			sort.Strings(ks)
			return fmt.Errorf("want a subcommand:\n%s", strings.Join(ks, "\n"))
		}
		c, ok := subs[args[0]]
		if !ok {
			return fmt.Errorf("unknown subcommand %q", args[0])
		}
		return c.run(args[1:])
	}
}
