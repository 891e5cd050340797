// Command gendocs writes gocontainer's man pages (section 8, one per
// subcommand, from the cobra tree in ocicli) and its bash, zsh and fish
// completion scripts, for release archives and packagers:
//
//	go run ./internal/gendocs -man DIR -completions DIR
//
// It runs on the build machine whatever the release's architecture, which
// is why it does not ask a built gocontainer.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/gocontainer/gocontainer/ocicli"
)

func main() {
	manDir := flag.String("man", "", "write man pages into this directory")
	compDir := flag.String("completions", "", "write completion scripts into this directory")
	version := flag.String("version", "", "version named in the man pages' footer")
	flag.Parse()
	if err := run(*manDir, *compDir, *version); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(manDir, compDir, version string) error {
	root := ocicli.NewRootCommand(nil, ocicli.VersionInfo{Version: version})
	root.DisableAutoGenTag = true
	if manDir != "" {
		escapeMarkdown(root)
		if err := os.MkdirAll(manDir, 0o755); err != nil {
			return err
		}
		hdr := &doc.GenManHeader{Title: "GOCONTAINER", Section: "8", Source: "gocontainer " + version, Manual: "gocontainer manual"}
		if err := doc.GenManTree(root, hdr, manDir); err != nil {
			return fmt.Errorf("man pages into %s: %w", manDir, err)
		}
	}
	if compDir != "" {
		if err := os.MkdirAll(compDir, 0o755); err != nil {
			return err
		}
		for name, gen := range map[string]func(string) error{
			"gocontainer.bash": func(p string) error { return root.GenBashCompletionFileV2(p, true) },
			"_gocontainer":     root.GenZshCompletionFile,
			"gocontainer.fish": func(p string) error { return root.GenFishCompletionFile(p, true) },
		} {
			if err := gen(filepath.Join(compDir, name)); err != nil {
				return fmt.Errorf("completion %s: %w", name, err)
			}
		}
	}
	return nil
}

// escapeMarkdown keeps <container-id> and the like in the man pages: the
// pages go through markdown (go-md2man), which drops them as HTML tags.
func escapeMarkdown(c *cobra.Command) {
	esc := strings.NewReplacer("<", `\<`, ">", `\>`).Replace
	c.Use, c.Short, c.Long, c.Example = esc(c.Use), esc(c.Short), esc(c.Long), esc(c.Example)
	for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
		fs.VisitAll(func(f *pflag.Flag) { f.Usage = esc(f.Usage) })
	}
	for _, sub := range c.Commands() {
		escapeMarkdown(sub)
	}
}
