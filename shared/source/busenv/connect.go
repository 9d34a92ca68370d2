package busenv

import (
	"context"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/fc-eventing/fc-eventing/shared/bus"
	"github.com/fc-eventing/fc-eventing/shared/bus/smq"
)

// warmTimeout bounds the background dial that readies the network path to
// SMQ; it never delays a publish, which dials on its own.
const warmTimeout = 2 * time.Second

// Pending is a Publisher being built on another goroutine, so that a
// function's start builds its bus client while it loads its configuration.
type Pending struct {
	done chan struct{}
	pub  bus.Publisher
	err  error
}

// Connect starts building the Publisher FCE_BUS names and returns at once.
// For SMQ it also dials the endpoint once in the background, so the
// endpoint's address is resolved and cached when the first event is
// published (see warm). The dialled connection is closed unused and a
// failed dial is ignored: publishing reports its own errors.
func Connect(ctx context.Context) *Pending {
	return connect(ctx, os.Getenv)
}

func connect(ctx context.Context, getenv func(string) string) *Pending {
	p := &Pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.pub, p.err = FromEnv(ctx, getenv)
		if _, ok := p.pub.(*smq.Bus); ok {
			go warm(getenv(smq.EnvEndpoint))
		}
	}()
	return p
}

// Wait returns the Publisher, or why it could not be built; the error reads
// as Publisher's.
func (p *Pending) Wait() (bus.Publisher, error) {
	<-p.done
	return p.pub, p.err
}

// warm opens and closes one TCP connection to the host of endpoint through
// fasthttp's default dialer, the one the SMQ SDK's client dials with: its
// address cache then holds the endpoint's resolved address for the first
// publish.
func warm(endpoint string) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	c, err := fasthttp.DialDualStackTimeout(net.JoinHostPort(u.Hostname(), port), warmTimeout)
	if err != nil {
		return
	}
	_ = c.Close()
}
