package main

import (
	"encoding/binary"
	"encoding/json"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// Wire-protocol opcodes the stats tell apart (OP_MSG is in gate.go).
const (
	opQuery           = 2004
	flagChecksumFound = 1 << 0
)

// stats counts the requests the gate forwards, per database and command name
// (the first key of the command document), and per "database.collection" for
// commands that name a collection. It also adds up how long requests held the
// gate's mutex and how long they waited for it. Off unless --stats-listen is
// given; then GET /stats on that address answers a statsSnapshot as JSON.
//
// The counters only count: they never change what is forwarded, and a request
// the parser cannot read is counted under database "" and command "op:<code>".
type stats struct {
	mu          sync.Mutex
	since       time.Time
	requests    int64
	held        time.Duration
	wait        time.Duration
	databases   map[string]map[string]int64
	collections map[string]map[string]int64
	collHeld    map[string]map[string]time.Duration // same keys as collections
}

// statsSnapshot is the JSON answer of GET /stats.
type statsSnapshot struct {
	Since       time.Time                   `json:"since"`
	Requests    int64                       `json:"requests"`
	HeldMs      float64                     `json:"heldMs"` // total time requests held the gate's mutex
	WaitMs      float64                     `json:"waitMs"` // total time requests waited for it
	Databases   map[string]map[string]int64 `json:"databases"`
	Collections map[string]map[string]int64 `json:"collections"`
	// Time those commands held the gate's mutex, in ms, keyed like collections: what a
	// busy database spent its time on.
	CollectionsHeldMs map[string]map[string]float64 `json:"collectionsHeldMs"`
}

func newStats() *stats {
	return &stats{
		since:       time.Now().UTC(),
		databases:   map[string]map[string]int64{},
		collections: map[string]map[string]int64{},
		collHeld:    map[string]map[string]time.Duration{},
	}
}

// record counts one forwarded request.
func (s *stats) record(req []byte, wait, held time.Duration) {
	db, cmd, coll := describe(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.wait += wait
	s.held += held
	inc(s.databases, db, cmd)
	if coll != "" {
		inc(s.collections, db+"."+coll, cmd)
		inner := s.collHeld[db+"."+coll]
		if inner == nil {
			inner = map[string]time.Duration{}
			s.collHeld[db+"."+coll] = inner
		}
		inner[cmd] += held
	}
}

func inc(m map[string]map[string]int64, k1, k2 string) {
	inner := m[k1]
	if inner == nil {
		inner = map[string]int64{}
		m[k1] = inner
	}
	inner[k2]++
}

func (s *stats) snapshot() statsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	copyOf := func(m map[string]map[string]int64) map[string]map[string]int64 {
		out := make(map[string]map[string]int64, len(m))
		for k, inner := range m {
			c := make(map[string]int64, len(inner))
			for k2, v := range inner {
				c[k2] = v
			}
			out[k] = c
		}
		return out
	}
	heldMs := make(map[string]map[string]float64, len(s.collHeld))
	for k, inner := range s.collHeld {
		c := make(map[string]float64, len(inner))
		for k2, v := range inner {
			c[k2] = float64(v.Microseconds()) / 1000
		}
		heldMs[k] = c
	}
	return statsSnapshot{
		Since:       s.since,
		Requests:    s.requests,
		HeldMs:      float64(s.held.Microseconds()) / 1000,
		WaitMs:      float64(s.wait.Microseconds()) / 1000,
		Databases:   copyOf(s.databases),
		Collections: copyOf(s.collections),

		CollectionsHeldMs: heldMs,
	}
}

// ServeHTTP answers GET /stats with the counters as JSON.
func (s *stats) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/stats" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.snapshot())
}

// serveStats serves s on ln until the returned stop function is called; with
// withPprof, Go's profiler too.
func serveStats(s *stats, ln net.Listener, withPprof bool) (stop func()) {
	var h http.Handler = s
	if withPprof {
		// Go's profiler beside the counters, for measuring where a gate's CPU goes
		// (`go tool pprof http://<stats addr>/debug/pprof/profile?seconds=10`).
		mux := http.NewServeMux()
		mux.Handle("/stats", s)
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		h = mux
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return func() {
		_ = srv.Close()
		<-done
	}
}

// describe names a request: its database, its command (the first key of the
// command document) and the collection it names, when it names one.
func describe(msg []byte) (db, cmd, coll string) {
	if len(msg) < headerLen {
		return "", "op:invalid", ""
	}
	op := binary.LittleEndian.Uint32(msg[12:16])
	var doc bsoncore.Document
	switch op {
	case opMsg:
		doc = opMsgBody(msg)
	case opQuery:
		// Legacy OP_QUERY, used by drivers only for the first handshake:
		// flags, "db.$cmd", skip, return, then the command document.
		body := msg[headerLen:]
		if len(body) < 4 {
			break
		}
		name, rest, ok := cstring(body[4:])
		if !ok || len(rest) < 8 {
			break
		}
		d, _, ok := bsoncore.ReadDocument(rest[8:])
		if !ok {
			break
		}
		db, _, _ = strings.Cut(name, ".")
		if wrapped, err := d.LookupErr("$query"); err == nil {
			if inner, ok := wrapped.DocumentOK(); ok {
				d = inner
			}
		}
		doc = d
	}
	if doc == nil {
		return db, "op:" + strconv.FormatUint(uint64(op), 10), ""
	}

	first, err := doc.IndexErr(0)
	if err != nil {
		return db, "op:" + strconv.FormatUint(uint64(op), 10), ""
	}
	cmd = first.Key()
	if v, err := doc.LookupErr("$db"); err == nil {
		if s, ok := v.StringValueOK(); ok {
			db = s
		}
	}
	if s, ok := first.Value().StringValueOK(); ok {
		coll = s // find, insert, update, delete, aggregate, count, findAndModify, ...
	} else if v, err := doc.LookupErr("collection"); err == nil { // getMore
		coll, _ = v.StringValueOK()
	}
	return db, cmd, coll
}

// opMsgBody returns the body section (kind 0) of an OP_MSG, or nil.
func opMsgBody(msg []byte) bsoncore.Document {
	if len(msg) < headerLen+4 {
		return nil
	}
	flags := binary.LittleEndian.Uint32(msg[headerLen : headerLen+4])
	sections := msg[headerLen+4:]
	if flags&flagChecksumFound != 0 {
		if len(sections) < 4 {
			return nil
		}
		sections = sections[:len(sections)-4]
	}
	for len(sections) > 0 {
		kind := sections[0]
		sections = sections[1:]
		switch kind {
		case 0:
			doc, _, ok := bsoncore.ReadDocument(sections)
			if !ok {
				return nil
			}
			return doc
		case 1: // a document sequence: int32 size (including itself), identifier, documents
			if len(sections) < 4 {
				return nil
			}
			size := int(binary.LittleEndian.Uint32(sections[:4]))
			if size < 4 || size > len(sections) {
				return nil
			}
			sections = sections[size:]
		default:
			return nil
		}
	}
	return nil
}

func cstring(b []byte) (string, []byte, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", nil, false
}
