module github.com/gocontainer/gocontainer/libseccomp

go 1.26

require (
	github.com/opencontainers/runtime-spec v1.3.0 // indirect
	github.com/seccomp/libseccomp-golang v0.11.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
