// Package integration drives the built gocontainer binary as containerd,
// conmon and users do, and checks what the host and the container see.
//
// Run it with hack/test-integration.sh (or `just test-integration`): the
// script builds ./gocontainer when stale, makes a busybox rootfs once,
// moves itself into a cgroup of its own and sets GOCONTAINER (absolute
// path of the binary) and GOCONTAINER_ROOTFS. Without GOCONTAINER, or
// without root, every test skips with the reason. GOCONTAINER=/usr/sbin/runc
// runs the same tests against runc, which checks the tests themselves.
//
// Every test uses its own --root under a temp dir and absolute, unique
// cgroupsPath values where cgroups are checked. The test process is a
// child subreaper, so any process the runtime leaves behind (an init
// orphaned by a killed create, a detached container) is re-parented to
// it: "nothing left behind" means no state dir, no cgroup directory in any
// hierarchy, no new host mount and no live re-parented process.
//
// Areas: lifecycle and list (lifecycle_linux_test.go), run's exit status,
// --detach, --keep and signal forwarding (run_linux_test.go), bad input
// (badinput_linux_test.go), delete -f after a killed create
// (killcreate_linux_test.go), the container's view of its spec
// (setup_linux_test.go), fd leaks, CVE-2019-5736 and rootfs symlinks
// (security_linux_test.go). Tests run serially: the leftover checks look
// at host-wide state.
package integration
