// Package hooks runs OCI lifecycle hooks (runtime-spec config.md,
// "POSIX-platform Hooks"): each hook's path is executed with exactly its
// args and env, the container state JSON on stdin, and its timeout
// enforced by killing the hook's whole process group.
//
// The prestart, createRuntime, createContainer and startContainer hooks
// use [Run]: the first failure stops the list and fails the operation.
// The poststart and poststop hooks use [RunAll]: per runtime-spec a
// failure is logged as a warning and the remaining hooks still run.
package hooks
