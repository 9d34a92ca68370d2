// Command fcpack writes a Function Compute code package: a zip of one staging
// directory whose bytes depend only on the files' names, contents and run
// bits. Entries are sorted, every timestamp is the zip epoch, and the
// executable bit is kept in the Unix mode of each entry, so the same sources
// give a byte-identical dist/<function>.zip on any machine and `main` stays
// executable once Function Compute unpacks it.
//
//	fcpack -o dist/webhook.zip -C dist/.stage/webhook
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("o", "", "zip file to write")
	dir := flag.String("C", "", "staging directory to pack")
	flag.Parse()
	if *out == "" || *dir == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: fcpack -o OUT.zip -C DIR")
		os.Exit(2)
	}
	if err := PackDir(*out, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "fcpack:", err)
		os.Exit(1)
	}
}
