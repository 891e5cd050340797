// Package user switches the container init to the OCI process.user
// (supplementary groups, gid, uid, umask) and derives HOME from the
// container's own /etc/passwd, as runc does.
//
// process.user.username is Windows-only in runtime-spec and is ignored.
package user
