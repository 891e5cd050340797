module github.com/gocontainer/gocontainer/tests/contest

go 1.26

require (
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/sys v0.49.0
)
