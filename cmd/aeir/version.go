package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

func versionCmd(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("this binary carries no build information")
	}
	writeVersion(os.Stdout, bi)
	return nil
}

// writeVersion prints what a user needs to say which aeir they ran: the
// module version, the commit it was built from (with its time, and
// "modified" when the working tree had changes), the Go toolchain and
// the platform. `go build` in a git checkout records the commit; `go run`
// and builds outside one do not, which the output says.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	setting := map[string]string{}
	for _, s := range bi.Settings {
		setting[s.Key] = s.Value
	}
	fmt.Fprintf(w, "aeir %s\n", bi.Main.Version)
	if rev := setting["vcs.revision"]; rev != "" {
		state := ""
		if setting["vcs.modified"] == "true" {
			state = ", with uncommitted changes"
		}
		fmt.Fprintf(w, "commit %s (%s%s)\n", rev, setting["vcs.time"], state)
	} else {
		fmt.Fprintln(w, "commit unknown (built without version control information: use go build in a git checkout)")
	}
	fmt.Fprintf(w, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
