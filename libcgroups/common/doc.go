// Package common holds what the cgroup managers share: the view of the
// host's cgroup filesystems (Host: setup detection, mounted hierarchies,
// the caller's own cgroups, injectable for fake trees in tests), safe
// control-file access (ReadFile, WriteFile), parsers of the kernel's cgroup
// files, path rules (CleanPath, JoinCgroupDir), shared types and the
// sentinel errors that package libcgroups re-exports.
package common
