// Package embedded runs a nats-server with JetStream inside the process, its
// store in a data directory: the bus of `fceventing serve` unless an
// external NATS URL is given. It is a package of its own so that functions,
// which only connect to a server, do not link the server.
package embedded

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Config says where an embedded server keeps its data and listens.
type Config struct {
	// Dir is the JetStream store directory (required).
	Dir string
	// Host defaults to 127.0.0.1; Port 0 picks a free port.
	Host string
	Port int
}

// Server is a nats-server with JetStream running inside this process.
type Server struct {
	srv *server.Server
}

// Start starts a server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("starting embedded NATS: data directory is required")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "fceventing",
		Host:       cfg.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("starting embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("starting embedded NATS in %s: not ready after 10s", cfg.Dir)
	}
	return &Server{srv: srv}, nil
}

// URL is the client URL of the server.
func (e *Server) URL() string { return e.srv.ClientURL() }

// Close shuts the server down and waits for it to stop.
func (e *Server) Close() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
