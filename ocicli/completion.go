package ocicli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// completionShells are the shells `completion` writes scripts for.
var completionShells = []string{"bash", "zsh", "fish"}

// completion prints a shell completion script generated from the command
// tree (runc has none; Podman and crun users expect one). The scripts call
// the hidden `__complete` command cobra adds, so completions follow the
// flags of the binary that is installed.
func (c *commands) completion() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "print a shell completion script",
		Long: `Print the completion script for a shell; load it with, for example:

    source <(` + ProgramName + ` completion bash)
    ` + ProgramName + ` completion zsh > "${fpath[1]}/_` + ProgramName + `"
    ` + ProgramName + ` completion fish > ~/.config/fish/completions/` + ProgramName + `.fish`,
		ValidArgs: completionShells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &UsageError{Command: "completion", Msg: fmt.Sprintf("want one shell (bash, zsh or fish), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return &UsageError{Command: "completion", Msg: fmt.Sprintf("unknown shell %q (bash, zsh or fish)", args[0])}
		},
	}
}
