package main

import (
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"aeir/web/deploy"
)

// everydayCmd ranks the everyday queries (web/deploy/everyday.tsv) on
// every gallery of an exported site, as the page ranks.
func everydayCmd(args []string) error {
	fs := flag.NewFlagSet("everyday", flag.ContinueOnError)
	dir := fs.String("dir", "site/assets", "an exported site's assets (aeir export web -out DIR); the default is the shipped demo")
	verbose := fs.Bool("v", false, "also print each query's rank on each gallery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("everyday: unexpected argument %q", fs.Arg(0))
	}
	qs, err := deploy.EverydayQueries()
	if err != nil {
		return err
	}
	res, err := deploy.Everyday(*dir, qs)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "gallery\trole\tqueries\thit@1\thit@5\thit@10\tMRR\t\n")
	for _, r := range res {
		fmt.Fprintf(w, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.3f\t\n", r.Vendor, r.Role, r.Queries, r.Hit1, r.Hit5, r.Hit10, r.MRR)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if *verbose {
		fmt.Println()
		w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(w, "category\tquery")
		for _, r := range res {
			fmt.Fprintf(w, "\t%s", r.Vendor)
		}
		fmt.Fprintln(w)
		for i, q := range qs {
			fmt.Fprintf(w, "%s\t%s", q.Category, q.Query)
			for _, r := range res {
				fmt.Fprintf(w, "\t%d", r.Ranks[i])
			}
			fmt.Fprintln(w)
		}
		return w.Flush()
	}
	return nil
}
