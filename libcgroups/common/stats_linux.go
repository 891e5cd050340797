package common

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Stat file readers shared by the v1 and v2 managers. A file that does not
// exist is "not reported" (ok false, no error): which files a cgroup has
// depends on the kernel version and config (memory.peak is 5.19+, memsw
// needs swap accounting, PSI needs CONFIG_PSI), and a stats call must still
// report everything else. Any other read error, or content that does not
// parse, is an error naming the file.

// ReadStatFile returns the content of dir/file; ok is false if it does not
// exist.
func ReadStatFile(dir, file string) (data []byte, ok bool, err error) {
	s, err := ReadFile(dir, file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("stats: %w", err)
	}
	return []byte(s), true, nil
}

// parseErr names the file a parser refused.
func parseErr(dir, file string, err error) error {
	return fmt.Errorf("parse %s: %w", filepath.Join(dir, file), err)
}

// ReadStatUint reads a single unsigned integer from dir/file into dst;
// dst is left alone if the file does not exist.
func ReadStatUint(dir, file string, dst *uint64) error {
	return readStat(dir, file, func(b []byte) error {
		v, err := ParseUint(b)
		*dst = v
		return err
	})
}

// ReadStatLimit reads a v2 limit ("max" is math.MaxUint64) into dst.
func ReadStatLimit(dir, file string, dst *uint64) error {
	return readStat(dir, file, func(b []byte) error {
		v, err := ParseUintOrMaxLimit(b)
		*dst = v
		return err
	})
}

// ReadStatFlat reads a flat keyed file (memory.stat, cpu.stat,
// memory.events); nil map if it does not exist.
func ReadStatFlat(dir, file string) (map[string]uint64, error) {
	var m map[string]uint64
	err := readStat(dir, file, func(b []byte) (err error) {
		m, err = ParseFlatKeyed(b)
		return err
	})
	return m, err
}

// ReadStatPSI reads a pressure file; nil if it does not exist. Reading a
// pressure file of a cgroup whose PSI was disabled (cgroup.pressure 0,
// 6.5+) fails with EOPNOTSUPP: that is "not reported" too.
func ReadStatPSI(dir, file string) (*PSIStats, error) {
	var st *PSIStats
	err := readStat(dir, file, func(b []byte) (err error) {
		st, err = ParsePSI(b)
		return err
	})
	if errors.Is(err, unix.EOPNOTSUPP) {
		return nil, nil
	}
	return st, err
}

// ReadStatPSIInto fills the three PSI fields of st from dir (cgroup v2).
func ReadStatPSIInto(dir string, st *Stats) error {
	var err error
	if st.CPU.PSI, err = ReadStatPSI(dir, "cpu.pressure"); err != nil {
		return err
	}
	if st.Memory.PSI, err = ReadStatPSI(dir, "memory.pressure"); err != nil {
		return err
	}
	st.Blkio.PSI, err = ReadStatPSI(dir, "io.pressure")
	return err
}

func readStat(dir, file string, parse func([]byte) error) error {
	b, ok, err := ReadStatFile(dir, file)
	if err != nil || !ok {
		return err
	}
	if err := parse(b); err != nil {
		return parseErr(dir, file, err)
	}
	return nil
}

// HugePageSizes lists the page sizes ("2MB", "1GB") that dir has files
// for, from names "hugetlb.<size>.<suffix>" (suffix "usage_in_bytes" on v1,
// "current" on v2), sorted.
func HugePageSizes(dir, suffix string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("stats: list hugetlb files: %w", err)
	}
	var out []string
	for _, e := range ents {
		name, ok := strings.CutPrefix(e.Name(), "hugetlb.")
		if !ok {
			continue
		}
		size, ok := strings.CutSuffix(name, "."+suffix)
		// "hugetlb.2MB.rsvd.current" is the reservation counter, not a size.
		if ok && size != "" && !strings.Contains(size, ".") {
			out = append(out, size)
		}
	}
	return out, nil
}
