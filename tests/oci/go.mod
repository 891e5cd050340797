// The runtime-tools v0.9.0 validation suite, built and run by hack/oci-build.sh
// and hack/oci-test.sh. Not in go.work: see the comment there.
//
// runtime-tools v0.9.0 predates Go modules (it vendored with Godeps), so the
// versions it needs are pinned here, not chosen by it:
//   - runtime-spec v1.0.2: the spec version the suite validates;
//   - selinux v1.10.2: the last release with label.FileLabel, which
//     cmd/runtimetest calls.
// tools.go lists the programs so that `go mod tidy` keeps them resolvable.
module github.com/gocontainer/gocontainer/tests/oci

go 1.26.0

require (
	github.com/opencontainers/runtime-tools v0.9.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/blang/semver v3.5.1+incompatible // indirect
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
	github.com/mndrix/tap-go v0.0.0-20171203230836-629fa407e90b // indirect
	github.com/mrunalp/fileutils v0.5.1 // indirect
	github.com/opencontainers/runtime-spec v1.0.2 // indirect
	github.com/opencontainers/selinux v1.10.2 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/satori/go.uuid v1.2.0 // indirect
	github.com/sirupsen/logrus v1.10.2 // indirect
	github.com/syndtr/gocapability v0.0.0-20200815063812-42c35b437635 // indirect
	github.com/urfave/cli v1.22.17 // indirect
	github.com/xeipuuv/gojsonpointer v0.0.0-20180127040702-4e3ac2762d5f // indirect
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415 // indirect
	github.com/xeipuuv/gojsonschema v1.2.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
)
