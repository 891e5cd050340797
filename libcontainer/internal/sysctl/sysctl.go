// Package sysctl writes the container's sysctls (linux.sysctl) and its
// oom_score_adj (process.oomScoreAdj) through a verified procfs handle
// (package procfs), never through a path string that a container could
// redirect with a symlink or a mount.
//
// Which sysctls a container may set at all (namespaced ones, with the
// matching namespace unshared) is decided by the config validator before
// anything runs; this package checks only the key's shape.
package sysctl

import (
	"fmt"
	"strings"
)

// CheckKey reports whether key has the shape of a sysctl name: dot
// separated, no empty component, no "..", "/" or NUL. Slash-separated
// names ("net/ipv4/ip_forward") are refused rather than guessed at.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("sysctl key must not be empty")
	}
	if strings.ContainsAny(key, "/\x00") {
		return fmt.Errorf("sysctl key %q must not contain \"/\" or NUL", key)
	}
	for _, p := range strings.Split(key, ".") {
		if p == "" {
			return fmt.Errorf("sysctl key %q has an empty component", key)
		}
	}
	return nil
}

// procPath returns the path of key relative to /proc.
func procPath(key string) string {
	return "sys/" + strings.ReplaceAll(key, ".", "/")
}
