package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// MongoDB wire protocol bits the gate needs (all little-endian):
//
//	header: int32 messageLength (includes the header), int32 requestID,
//	        int32 responseTo, int32 opCode
//	OP_MSG (opCode 2013) body starts with uint32 flagBits; bit 1 = moreToCome.
const (
	headerLen      = 16
	opMsg          = 2013
	flagMoreToCome = 1 << 1
	// Far above MongoDB's maxMessageSizeBytes (48 MB); only guards against
	// allocating garbage lengths from a confused client.
	maxMessageLen = 64 << 20
)

// gate accepts MongoDB clients and forwards their requests to FerretDB
// strictly one at a time.
//
// Each client connection gets its own backend connection, because cursors,
// sessions and the handshake state live on a connection. The mutex, however,
// is global: it is what makes each FerretDB update (internally a query
// followed by a write) atomic with respect to every other client.
type gate struct {
	backend string // FerretDB's Unix socket
	logger  *slog.Logger
	stats   *stats     // nil unless --stats-listen: counts what is forwarded
	idIndex *idIndexer // nil: no SQLite _id index (idindex.go)

	mu sync.Mutex // held for one request/reply exchange with FerretDB

	connsMu sync.Mutex
	conns   map[net.Conn]struct{} // open client and backend connections
	closed  bool
}

// serve accepts connections on ln until ctx is canceled, then closes ln and
// every open connection and waits for their goroutines to end.
func (g *gate) serve(ctx context.Context, ln net.Listener) {
	g.conns = map[net.Conn]struct{}{}

	go func() {
		<-ctx.Done()
		ln.Close()
		g.connsMu.Lock()
		g.closed = true
		for c := range g.conns {
			c.Close() // unblocks reads and writes of the connection goroutines
		}
		g.connsMu.Unlock()
	}()

	var wg sync.WaitGroup
	for {
		client, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				g.logger.Error("gate accept failed", "error", err)
			}
			break
		}

		wg.Add(1)
		go func() {
			defer wg.Done()
			g.handle(client)
		}()
	}

	wg.Wait()
}

// track registers c so that shutdown can close it; false when shutting down.
func (g *gate) track(c net.Conn) bool {
	g.connsMu.Lock()
	defer g.connsMu.Unlock()
	if g.closed {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

// release closes c and forgets it.
func (g *gate) release(c net.Conn) {
	g.connsMu.Lock()
	delete(g.conns, c)
	g.connsMu.Unlock()
	c.Close()
}

// handle proxies one client connection until either side closes it.
func (g *gate) handle(client net.Conn) {
	defer g.release(client)
	if !g.track(client) {
		return
	}

	backend, err := net.Dial("unix", g.backend)
	if err != nil {
		g.logger.Error("gate cannot reach FerretDB", "error", err)
		return
	}
	defer g.release(backend)
	if !g.track(backend) {
		return
	}

	fromClient := bufio.NewReader(client)
	fromBackend := bufio.NewReader(backend)

	for {
		// Read the whole request before taking the lock, so a slow or idle
		// client never holds up the others.
		req, err := readMessage(fromClient)
		if err != nil {
			if err != io.EOF {
				g.logger.Debug("gate: client read", "error", err)
			}
			return
		}

		reply, err := g.exchange(backend, fromBackend, req)
		if err != nil {
			g.logger.Warn("gate: FerretDB exchange failed", "error", err)
			return
		}
		if reply == nil {
			continue // moreToCome: the client expects no reply
		}

		// Written outside the lock, for the same reason as above.
		if _, err = client.Write(reply); err != nil {
			return
		}
	}
}

// exchange sends one request to FerretDB and reads its reply, holding the
// global mutex for the whole round trip. It returns a nil reply for an OP_MSG
// with the moreToCome flag (e.g. a write with w:0), which gets no reply.
func (g *gate) exchange(backend net.Conn, fromBackend *bufio.Reader, req []byte) ([]byte, error) {
	if g.stats != nil {
		queued := time.Now()
		g.mu.Lock()
		locked := time.Now()
		defer func() {
			held := time.Since(locked)
			g.mu.Unlock()
			g.stats.record(req, locked.Sub(queued), held)
		}()
	} else {
		g.mu.Lock()
		defer g.mu.Unlock()
	}

	// A find of {_id: {$in: [...]}} is answered by _id lookups (idset.go).
	if reply, served, err := g.serveIDSet(backend, fromBackend, req); err != nil || served {
		return reply, err
	}

	// A filter {_id: X, …} is turned into {_id: X} when that is equivalent (pushdown.go).
	req, err := g.pushdown(backend, fromBackend, req)
	if err != nil {
		return nil, err
	}

	if _, err := backend.Write(req); err != nil {
		return nil, err
	}

	// FerretDB 1.24 answers every request, moreToCome included (its
	// connection loop always writes a response). We read that answer anyway,
	// still under the lock: it keeps the backend stream in step with the
	// client's, and it keeps the write itself inside the gate. We only don't
	// pass it on to a client that expects nothing.
	reply, err := readMessage(fromBackend)
	if err != nil {
		return nil, err
	}

	reqID := int32(binary.LittleEndian.Uint32(req[4:8]))
	if responseTo := int32(binary.LittleEndian.Uint32(reply[8:12])); responseTo != reqID {
		return nil, fmt.Errorf("reply responseTo %d does not match request %d", responseTo, reqID)
	}

	if moreToCome(req) {
		return nil, nil
	}
	return reply, nil
}

// readMessage reads one complete wire-protocol message (header included).
func readMessage(r *bufio.Reader) ([]byte, error) {
	var header [headerLen]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}

	n := binary.LittleEndian.Uint32(header[0:4])
	if n < headerLen || n > maxMessageLen {
		return nil, fmt.Errorf("invalid message length %d", n)
	}

	msg := make([]byte, n)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[headerLen:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg, nil
}

// moreToCome reports whether msg is an OP_MSG whose sender expects no reply.
func moreToCome(msg []byte) bool {
	if len(msg) < headerLen+4 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return false
	}
	return binary.LittleEndian.Uint32(msg[16:20])&flagMoreToCome != 0
}
