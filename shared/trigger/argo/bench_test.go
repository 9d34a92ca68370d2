package argo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/fc-eventing/fc-eventing/shared/sensor"
	"github.com/fc-eventing/fc-eventing/shared/trigger/argo"
)

// BenchmarkSubmit compares the trigger's submit with a raw REST POST of the same Workflow, over
// the same kept-alive connection pool (client-go shares the transport of equal TLS configs), in
// one run: each iteration does one of each, alternating which goes first. It reports p50 and
// p99 of both and their ratio. The client's QPS limit is raised so that the client-side rate
// limiter, which a sensor invocation firing a few triggers never reaches, does not dominate.
func BenchmarkSubmit(b *testing.B) {
	ctx := context.Background()
	c := newClient(b, func(cfg *argo.Config) { cfg.QPS, cfg.Burst = 10000, 10000 })
	ns := namespace(b)
	hc, err := c.HTTPClient()
	if err != nil {
		b.Fatal(err)
	}
	url := c.Host() + "/apis/argoproj.io/v1alpha1/namespaces/" + ns + "/workflows"
	base := obj(b, helloWorkflow("x"))

	raw := func(name string) time.Duration {
		o := runtimeCopy(base)
		o["metadata"].(map[string]any)["name"] = name
		body, err := json.Marshal(o)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("raw POST: %s", resp.Status)
		}
		return d
	}
	trigger := func(name string) time.Duration {
		o := runtimeCopy(base)
		o["metadata"].(map[string]any)["name"] = name
		f := firing(ns, "bench", sensor.TypeArgoWorkflow, "submit", o, name)
		start := time.Now()
		out, err := c.Execute(ctx, f)
		d := time.Since(start)
		if err != nil || out.Existed {
			b.Fatalf("trigger submit: %v (existed %v)", err, out.Existed)
		}
		return d
	}
	// Warm both paths: connections, discovery, TLS.
	raw("warm-raw")
	trigger("warm-trigger")

	rawD := make([]time.Duration, 0, b.N)
	trigD := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			rawD = append(rawD, raw(fmt.Sprintf("raw-%d", i)))
			trigD = append(trigD, trigger(fmt.Sprintf("trig-%d", i)))
		} else {
			trigD = append(trigD, trigger(fmt.Sprintf("trig-%d", i)))
			rawD = append(rawD, raw(fmt.Sprintf("raw-%d", i)))
		}
	}
	b.StopTimer()
	rp50, rp99 := percentiles(rawD)
	tp50, tp99 := percentiles(trigD)
	b.ReportMetric(ms(tp50), "trigger-p50-ms")
	b.ReportMetric(ms(tp99), "trigger-p99-ms")
	b.ReportMetric(ms(rp50), "raw-p50-ms")
	b.ReportMetric(ms(rp99), "raw-p99-ms")
	b.ReportMetric(float64(tp50)/float64(rp50), "p50-ratio")
	b.ReportMetric(float64(tp99)/float64(rp99), "p99-ratio")
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s) == 0 {
		return 0, 0
	}
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.5) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return at(0.50), at(0.99)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func runtimeCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
