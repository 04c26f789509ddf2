package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat.
const clockTicks = 100

// procStat is the part of /proc/<pid>/stat the benchmark reads.
type procStat struct {
	Comm        string
	PPID        int
	CPU         time.Duration // utime + stime
	ChildrenCPU time.Duration // cutime + cstime: waited-for children that ended
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(b[closing+2:]))
	if len(fields) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	num := func(i int) int64 { v, _ := strconv.ParseInt(fields[i], 10, 64); return v }
	ticks := func(n int64) time.Duration { return time.Duration(n) * time.Second / clockTicks }
	// fields[0] is the state (field 3 of stat); utime is field 14.
	return procStat{
		Comm:        string(b[open+1 : closing]),
		PPID:        int(num(1)),
		CPU:         ticks(num(11) + num(12)),
		ChildrenCPU: ticks(num(13) + num(14)),
	}, nil
}

// procMemory is the memory of a process from /proc/<pid>/status, in bytes.
type procMemory struct {
	RSS, HWM, Anon, File, Shmem int64
}

func readProcMemory(pid int) (procMemory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMemory{}, err
	}
	var m procMemory
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch name {
		case "VmRSS":
			dst = &m.RSS
		case "VmHWM":
			dst = &m.HWM
		case "RssAnon":
			dst = &m.Anon
		case "RssFile":
			dst = &m.File
		case "RssShmem":
			dst = &m.Shmem
		default:
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		*dst = kb * 1024
	}
	return m, nil
}

// pids lists the processes on the machine.
func pids() []int {
	matches, _ := filepath.Glob("/proc/[0-9]*")
	out := make([]int, 0, len(matches))
	for _, m := range matches {
		if pid, err := strconv.Atoi(filepath.Base(m)); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// processGroup is something whose CPU time and memory the benchmark
// reports: one of its own child processes, the PostgreSQL server or the
// Kafka broker.
type processGroup interface {
	Name() string
	CPU() time.Duration
	// Memory is the group's resident memory now, shared pages counted once
	// as far as /proc tells.
	Memory() int64
}

// singleProcess is one process by PID.
type singleProcess struct {
	name string
	pid  int
}

func (p singleProcess) Name() string { return p.name }

func (p singleProcess) CPU() time.Duration {
	s, err := readProcStat(p.pid)
	if err != nil {
		return 0
	}
	return s.CPU
}

func (p singleProcess) Memory() int64 {
	m, _ := readProcMemory(p.pid)
	return m.RSS
}

// peak is the process's high-water mark of resident memory (VmHWM) over
// its whole life.
func (p singleProcess) peak() int64 {
	m, _ := readProcMemory(p.pid)
	return m.HWM
}

// postgresServer is the bench's PostgreSQL server: its postmaster and all
// its backends, of every database on the server (other users' work
// included), but not another server's on the machine.
type postgresServer struct{}

func (postgresServer) Name() string { return "PostgreSQL (whole server)" }

// CPU adds up the running processes' CPU and, through the postmaster's
// children times, that of backends that have ended.
func (postgresServer) CPU() time.Duration {
	var total time.Duration
	all := map[int]procStat{}
	for _, pid := range pids() {
		s, err := readProcStat(pid)
		if err != nil || s.Comm != "postgres" || !ofBenchPostgres(pid, s) {
			continue
		}
		all[pid] = s
		total += s.CPU
	}
	for _, s := range all {
		if _, parentIsPostgres := all[s.PPID]; !parentIsPostgres {
			total += s.ChildrenCPU // the postmaster
		}
	}
	return total
}

// ofBenchPostgres reports whether the postgres process pid is the bench
// server's (any, before findBenchServers).
func ofBenchPostgres(pid int, s procStat) bool {
	return benchPostmaster == 0 || pid == benchPostmaster || s.PPID == benchPostmaster
}

// Memory adds up private memory and counts the shared buffers and mapped
// files once (the largest share any one process has touched).
func (postgresServer) Memory() int64 {
	var anon, file, shmem int64
	for _, pid := range pids() {
		s, err := readProcStat(pid)
		if err != nil || s.Comm != "postgres" || !ofBenchPostgres(pid, s) {
			continue
		}
		m, err := readProcMemory(pid)
		if err != nil {
			continue
		}
		anon += m.Anon
		file = max(file, m.File)
		shmem = max(shmem, m.Shmem)
	}
	return anon + file + shmem
}

// kafkaBroker is the bench's broker (findBenchServers).
func kafkaBroker() (singleProcess, error) {
	if benchBroker == 0 {
		return singleProcess{}, errors.New("the bench's Kafka broker was not found")
	}
	return singleProcess{name: "Kafka broker", pid: benchBroker}, nil
}

// machineBusy is the CPU time all cores have spent on anything but idling
// and waiting for I/O since boot, from /proc/stat.
func machineBusy() time.Duration {
	busy, _ := machineTimes()
	return busy
}

// machineTimes are all cores' CPU times since boot, from /proc/stat: busy
// (anything but idling and waiting for I/O) and, counted in it, steal (the
// time the hypervisor ran other guests while this one had work).
func machineTimes() (busy, steal time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0
	}
	var busyTicks, stealTicks int64
	for i, f := range fields[1:9] {
		v, _ := strconv.ParseInt(f, 10, 64)
		switch i {
		case 3, 4: // idle, iowait
		case 7:
			stealTicks = v
			busyTicks += v
		default:
			busyTicks += v
		}
	}
	return time.Duration(busyTicks) * time.Second / clockTicks, time.Duration(stealTicks) * time.Second / clockTicks
}

// backgroundShare is the share of the machine (all cores) that processes
// other than the measured ones used over elapsed: colleagues' tests and
// benchmarks, which the figures cannot exclude.
func backgroundShare(busy, measured, elapsed time.Duration) float64 {
	return max(0, machineShare(busy-measured, elapsed))
}

// machineShare is cpu as a share of the machine (all cores) over elapsed.
func machineShare(cpu, elapsed time.Duration) float64 {
	capacity := elapsed.Seconds() * float64(runtime.NumCPU())
	if capacity <= 0 {
		return 0
	}
	return cpu.Seconds() / capacity
}
