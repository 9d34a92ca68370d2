//go:build soak

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ali_mns "github.com/aliyun/aliyun-mns-go-sdk"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	smqbus "github.com/fc-eventing/fc-eventing/shared/bus/smq"
	"github.com/fc-eventing/fc-eventing/test/kube"
	smqserver "github.com/fc-eventing/fc-eventing/test/smqserver/server"
)

var soakEvents = flag.Int("soak.events", 10000, "events the soak test sends")

// TestSoak (make soak): 10,000 events from every origin through two sensor
// instances while the bus SMQ server fails 10% of requests (half before
// doing anything, half after doing it and losing the answer), the
// kube-apiserver is restarted once and each sensor instance is killed once
// in the middle of a batch. Every event must end as exactly one Workflow.
func TestSoak(t *testing.T) {
	n := *soakEvents
	faulty, err := smqserver.Start(smqserver.New(smqserver.Config{AccessKeyID: accessKeyID, AccessKeySecret: accessKeySecret}), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer faulty.Close()
	p := newPipeline(t, options{SMQ: faulty, SensorInstances: 2, Visibility: 3, Timeout: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	faulty.SetFaults(smqserver.Faults{FailBefore: 0.05, FailAfter: 0.05})
	start := time.Now()
	p.pump(ctx)

	// The disruptions, each when the sensors have seen a share of the events.
	var (
		chaos     sync.WaitGroup
		chaosErr  = make(chan error, 3)
		downtime  time.Duration
		killedMid [2]bool
	)
	at := func(share float64) bool {
		for p.stats.Messages.Load() < int64(share*float64(n)) {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(10 * time.Millisecond):
			}
		}
		return true
	}
	kill := func(i int) {
		// Wait (briefly) for a batch in flight, so the kill lands mid-batch.
		for range 200 {
			if p.sensors[i].InFlight() > 0 {
				killedMid[i] = true
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := p.sensors[i].Kill(); err != nil {
			chaosErr <- fmt.Errorf("killing sensor-%d: %w", i, err)
		}
	}
	chaos.Add(1)
	go func() {
		defer chaos.Done()
		if !at(0.25) {
			return
		}
		kill(0)
		if !at(0.5) {
			return
		}
		d, err := restartAPIServer(ctx)
		if err != nil {
			chaosErr <- err
			return
		}
		downtime = d
		if !at(0.75) {
			return
		}
		kill(1)
	}()

	want := sendMix(ctx, t, p, n)
	sent := time.Since(start)

	// Wait for every Workflow, then a little longer for any extra.
	deadline := time.Now().Add(10 * time.Minute)
	for sensor, ids := range want {
		for {
			wfs, err := p.workflowsOf(ctx, sensor)
			if err == nil && len(wfs) >= len(ids) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("sensor %s: %d of %d workflows after waiting (%v)", sensor, len(wfs), len(ids), err)
				break
			}
			time.Sleep(time.Second)
		}
	}
	done := time.Since(start)
	chaos.Wait()
	close(chaosErr)
	for err := range chaosErr {
		t.Error(err)
	}
	time.Sleep(5 * time.Second)

	var lost, duplicated, unexpected, total int
	for sensor, ids := range want {
		wfs, err := p.workflowsOf(ctx, sensor)
		if err != nil {
			t.Fatal(err)
		}
		total += len(wfs)
		got := countBy(wfs, "event")
		for _, id := range ids {
			switch c := got[id]; {
			case c == 0:
				lost++
				if lost <= 10 {
					t.Errorf("lost: sensor %s event %s", sensor, id)
				}
			case c > 1:
				duplicated += c - 1
				t.Errorf("duplicated: sensor %s event %s: %d workflows", sensor, id, c)
			}
			delete(got, id)
		}
		for id, c := range got {
			unexpected += c
			t.Errorf("unexpected: sensor %s: %d workflows for event %q", sensor, c, id)
		}
	}
	st := faulty.Stats()
	faulty.SetFaults(smqserver.Faults{})
	dead := deadLetters(ctx, t, p)
	restarts := 0
	for _, s := range p.sensors {
		restarts += s.Process().Generation - 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d events sent in %v, all %d workflows persisted after %v (%.0f events/s)\n",
		countIDs(want), sent.Round(time.Millisecond), total, done.Round(time.Millisecond), float64(countIDs(want))/done.Seconds())
	for _, s := range []string{"github", "gitlab", "oss", "smq", "bridge"} {
		fmt.Fprintf(&b, "soak:   %-7s %5d events\n", s, len(want[s]))
	}
	fmt.Fprintf(&b, "soak: lost %d, duplicated %d, unexpected %d, dead-lettered %d\n", lost, duplicated, unexpected, len(dead))
	for _, d := range dead {
		fmt.Fprintf(&b, "soak:   dead-lettered %s\n", d)
	}
	fmt.Fprintf(&b, "soak: bus SMQ %d requests, %d answered 500 on purpose (%.1f%%)\n",
		st.Requests, st.InjectedFails, 100*float64(st.InjectedFails)/float64(max(st.Requests, 1)))
	fmt.Fprintf(&b, "soak: sensor %d batches (%d failed and redelivered), %d messages, %d redeliveries, mean %.1f events/batch\n",
		p.stats.Batches.Load(), p.stats.Failed.Load(), p.stats.Messages.Load(), p.stats.Redelivered.Load(),
		float64(p.stats.Messages.Load())/float64(max(p.stats.Batches.Load(), 1)))
	fmt.Fprintf(&b, "soak: sensor instances killed mid-batch: %v, restarted %d times; kube-apiserver restarted, %v without an API\n",
		killedMid, restarts, downtime.Round(time.Millisecond))
	for name, f := range p.functions() {
		fmt.Fprintf(&b, "soak:   peak memory %-18s %5.1f MiB\n", name, float64(f.Process().PeakRSS)/(1<<20))
	}
	fmt.Print(b.String())
	if lost+duplicated+unexpected > 0 {
		t.Errorf("lost %d, duplicated %d, unexpected %d", lost, duplicated, unexpected)
	}
	if restarts < 2 {
		t.Errorf("%d sensor restarts, want 2", restarts)
	}
	if downtime == 0 {
		t.Error("the kube-apiserver was not restarted")
	}
}

// restartAPIServer stops the test kube-apiserver (SIGTERM) and starts it
// again with the same binary, arguments and directory, on the same port
// and etcd, and returns how long the API was away. test/kube has no
// restart, so the process is found among this process's children.
func restartAPIServer(ctx context.Context) (time.Duration, error) {
	bin, _, err := kube.Binaries("")
	if err != nil {
		return 0, err
	}
	pid, args, dir, err := findChild(bin)
	if err != nil {
		return 0, err
	}
	down := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	for syscall.Kill(pid, 0) == nil {
		if time.Since(down) > 30*time.Second {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	logf, err := os.Create(filepath.Join(dir, "kube-apiserver-restarted.log"))
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	// The port may still be held for a moment by the old listener.
	for {
		if err := cmd.Start(); err != nil {
			return 0, fmt.Errorf("starting kube-apiserver again: %w", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		restarted = &restartedServer{cmd: cmd, exited: exited, log: logf}
		err := waitReady(ctx, exited)
		if err == nil {
			return time.Since(down), nil
		}
		if !errors.Is(err, errExited) || time.Since(down) > time.Minute {
			return 0, fmt.Errorf("kube-apiserver after restart: %w", err)
		}
		cmd = exec.Command(bin, args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		time.Sleep(200 * time.Millisecond)
	}
}

// restartedServer is the kube-apiserver restartAPIServer started; stopped
// by stopRestarted before the test cluster is stopped.
type restartedServer struct {
	cmd    *exec.Cmd
	exited chan error
	log    *os.File
}

var restarted *restartedServer

var errExited = errors.New("process exited")

func init() {
	stopRestarted = func() {
		if r := restarted; r != nil {
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.exited:
			case <-time.After(10 * time.Second):
				_ = r.cmd.Process.Kill()
				<-r.exited
			}
			r.log.Close()
		}
	}
}

func waitReady(ctx context.Context, exited chan error) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cluster.CAData)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cluster.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+cluster.AdminToken)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("%w: %v", errExited, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// findChild finds this process's child running bin: its pid, arguments and
// working directory.
func findChild(bin string) (int, []string, string, error) {
	want, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return 0, nil, "", err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, nil, "", err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		rest := stat[bytes.LastIndexByte(stat, ')')+2:]
		fields := strings.Fields(string(rest))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != want {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			return 0, nil, "", err
		}
		dir, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			return 0, nil, "", err
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		return pid, args[1:], dir, nil
	}
	return 0, nil, "", fmt.Errorf("no child process runs %s", bin)
}

// deadLetters describes what the sensor sent to the dead-letter queue:
// event id, source and the reason it carries.
func deadLetters(ctx context.Context, t *testing.T, p *pipeline) []string {
	t.Helper()
	q := ali_mns.NewMNSQueue(p.dlq, p.mns, 100000)
	var out []string
	for {
		msgs, err := receive(ctx, q, 16, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			e, err := smqbus.DecodeBody(m.MessageBody)
			if err != nil {
				out = append(out, fmt.Sprintf("undecodable %s: %v", m.MessageId, err))
				continue
			}
			out = append(out, fmt.Sprintf("event %s from %s/%s: %s", e.ID, e.Source, e.Subject, bus.DeadLetterReason(e)))
		}
		if err := del(ctx, q, msgs); err != nil {
			t.Fatal(err)
		}
	}
}
