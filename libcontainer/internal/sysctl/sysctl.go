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

// Normalize returns key in dot-separated form. Like runc and sysctl(8),
// it also accepts the slash-separated form, recognised by its first
// separator being '/': then '/' separates components and '.' is part of a
// name, so "net/ipv4/conf/eth0.100/forwarding" becomes
// "net.ipv4.conf.eth0/100.forwarding" (a '/' inside a component of the
// dot form stands for a literal '.').
//
// It fails for an empty key, a key with NUL, and any empty, "." or ".."
// component, so the key can never name a path outside /proc/sys.
func Normalize(key string) (string, error) {
	if key == "" {
		return "", fmt.Errorf("sysctl key must not be empty")
	}
	if strings.IndexByte(key, 0) >= 0 {
		return "", fmt.Errorf("sysctl key %q must not contain NUL", key)
	}
	dot := key
	if i := strings.IndexAny(key, "./"); i >= 0 && key[i] == '/' {
		dot = strings.Map(func(r rune) rune {
			switch r {
			case '.':
				return '/'
			case '/':
				return '.'
			}
			return r
		}, key)
	}
	for _, c := range components(dot) {
		if c == "" || c == "." || c == ".." {
			return "", fmt.Errorf("sysctl key %q has an invalid component %q", key, c)
		}
	}
	return dot, nil
}

// CheckKey reports whether key is a well-formed sysctl name (see
// [Normalize]).
func CheckKey(key string) error {
	_, err := Normalize(key)
	return err
}

// components splits a dot-form key into the names of its /proc/sys path.
func components(dot string) []string {
	parts := strings.Split(dot, ".")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, "/", ".")
	}
	return parts
}

// procPath returns the path of a normalized key relative to /proc.
func procPath(dot string) string {
	return "sys/" + strings.Join(components(dot), "/")
}
