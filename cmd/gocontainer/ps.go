package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/gocontainer/gocontainer/ocicli"
)

// Ps prints the container's processes: their pids as a JSON array with
// --format json, else the lines of ps(1) (run with the given arguments,
// "-ef" by default) whose PID column is one of them, as runc does.
func (h *handler) Ps(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.PsOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	pids, err := c.Processes()
	if err != nil {
		return err
	}
	if o.Format == ocicli.FormatJSON {
		if pids == nil {
			pids = []int{}
		}
		return json.NewEncoder(g.Stdout).Encode(pids)
	}
	args := o.PsArgs
	if len(args) == 0 {
		args = []string{"-ef"}
	}
	out, err := exec.CommandContext(ctx, "ps", args...).Output()
	if err != nil {
		return fmt.Errorf("ps %s: %w", strings.Join(args, " "), err)
	}
	table, err := filterPs(out, pids)
	if err != nil {
		return err
	}
	_, err = g.Stdout.Write(table)
	return err
}

// filterPs keeps ps(1)'s header and the lines whose PID column is in pids.
func filterPs(out []byte, pids []int) ([]byte, error) {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		return nil, fmt.Errorf("ps printed nothing")
	}
	col := -1
	for i, f := range strings.Fields(lines[0]) {
		if f == "PID" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("ps output has no PID column: %q", lines[0])
	}
	want := make(map[int]bool, len(pids))
	for _, p := range pids {
		want[p] = true
	}
	var b bytes.Buffer
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= col {
			continue
		}
		if p, err := strconv.Atoi(f[col]); err == nil && want[p] {
			b.WriteString(l + "\n")
		}
	}
	return b.Bytes(), nil
}
