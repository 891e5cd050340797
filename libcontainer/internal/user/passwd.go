package user

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// DefaultHome is HOME when the container's /etc/passwd has no entry (or
// an empty home) for the uid, or does not exist: runc's default.
const DefaultHome = "/"

// homeFromPasswd returns the home directory of the first passwd(5) entry
// for uid in r, or "" when there is none. Malformed lines are skipped,
// like libc does.
func homeFromPasswd(r io.Reader, uid uint32) (string, error) {
	want := strconv.FormatUint(uint64(uid), 10)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		// name:password:uid:gid:gecos:home:shell
		f := strings.Split(line, ":")
		if len(f) < 6 || f[2] != want {
			continue
		}
		return f[5], nil
	}
	return "", sc.Err()
}
