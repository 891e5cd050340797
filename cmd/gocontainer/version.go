package main

import (
	"runtime"
	"runtime/debug"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libseccomp"
	"github.com/gocontainer/gocontainer/ocicli"
)

// version and commit are set at build time with
// -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "0.1.0-dev"
	commit  = ""
)

func versionInfo() ocicli.VersionInfo {
	c := commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	return ocicli.VersionInfo{
		Version:    version,
		Commit:     c,
		Spec:       specs.Version,
		Go:         runtime.Version(),
		Libseccomp: libseccomp.Version(),
	}
}
