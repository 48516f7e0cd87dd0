// A signed /ds-metrics endpoint for seqpulse in Go, standard library only.
//
//	SEQPULSE_HMAC_SECRET=... go run . -addr 127.0.0.1:8080
//	go run . -selftest   # checks the test vectors of docs/signature.md
//
// The verification follows docs/signature.md step by step: headers present, timestamp within
// 300 s, HMAC-SHA256 of the canonical string over the target as received, constant-time
// comparison against every v1= value and every accepted secret, nonce never seen before.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const maxSkew = 300 * time.Second

// Nonces are remembered for twice the allowed skew; after that the timestamp check rejects a replay.
type nonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (c *nonceCache) firstUse(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, at := range c.seen {
		if now.Sub(at) > 2*maxSkew {
			delete(c.seen, n)
		}
	}
	if _, ok := c.seen[nonce]; ok {
		return false
	}
	c.seen[nonce] = now
	return true
}

func sign(secret, timestamp, nonce, method, target string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.Join([]string{"v1", timestamp, nonce, strings.ToUpper(method), target}, "\n")))
	return hex.EncodeToString(mac.Sum(nil))
}

// verify returns "" when the request is genuine, else the reason to send back with a 401.
func verify(secrets []string, r *http.Request, nonces *nonceCache, now time.Time) string {
	ts, nonce, sig := r.Header.Get("X-SeqPulse-Timestamp"), r.Header.Get("X-SeqPulse-Nonce"), r.Header.Get("X-SeqPulse-Signature")
	if ts == "" || nonce == "" || sig == "" {
		return "missing_headers"
	}
	seconds, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(now.Sub(time.Unix(seconds, 0)).Seconds()) > maxSkew.Seconds() {
		return "stale_timestamp"
	}
	// The target exactly as received: RequestURI, never a URL rebuilt from parsed parts.
	target := r.RequestURI
	matched := false
	for _, secret := range secrets {
		want := []byte(sign(secret, ts, nonce, r.Method, target))
		for _, part := range strings.Split(sig, ",") {
			got := strings.TrimPrefix(strings.TrimSpace(part), "v1=")
			if hmac.Equal(want, []byte(got)) {
				matched = true
			}
		}
	}
	if !matched {
		return "bad_signature"
	}
	if !nonces.firstUse(nonce, now) {
		return "replayed_nonce"
	}
	return ""
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	selftest := flag.Bool("selftest", false, "check the documented test vectors and exit")
	flag.Parse()
	if *selftest {
		os.Exit(selfTest())
	}
	var secrets []string
	for _, name := range []string{"SEQPULSE_HMAC_SECRET", "SEQPULSE_HMAC_SECRET_PREVIOUS"} {
		if s := os.Getenv(name); s != "" {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		log.Fatal("set SEQPULSE_HMAC_SECRET")
	}
	nonces := &nonceCache{seen: map[string]time.Time{}}
	started := time.Now()
	http.HandleFunc("/ds-metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if reason := verify(secrets, r, nonces, time.Now()); reason != "" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": reason})
			return
		}
		// Replace with your service's real numbers (error rate, latency percentiles, traffic...).
		// Leave a metric out when it is unknown (no request in the window: no error_rate), never 0.
		json.NewEncoder(w).Encode(map[string]any{"metrics": map[string]any{
			"error_rate":       0.01,
			"latency_p95":      120.0,
			"requests_per_sec": 200.0,
			// Shares, not units: 0.42 = 42 % of the memory (or CPU) available to the service.
			"memory_usage":   0.42,
			"uptime_seconds": time.Since(started).Seconds(),
		}})
	})
	log.Printf("listening on http://%s/ds-metrics", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func selfTest() int {
	vectors := []struct{ secret, target, want string }{
		{"seqpulse-test-secret", "/ds-metrics", "b71d52b2dd32bb443a130d2ebdc41eb40a1ac1f8e678a34993e7137d8d87c597"},
		{"seqpulse-test-secret", "/ds-metrics?instance=a", "c8c977365e2c0233b8bcc70d217132fae7a580db6e5a84bcb86c5ccaeca96417"},
		{"seqpulse-next-secret", "/ds-metrics?instance=a", "bc4af65df682566e4b0338f01a1aa0b390e8a0e7c3289e77dac09f962aee8a5b"},
	}
	for _, v := range vectors {
		if got := sign(v.secret, "1700000000", "0123456789abcdef0123456789abcdef", "GET", v.target); got != v.want {
			fmt.Printf("FAIL %s %s: %s\n", v.secret, v.target, got)
			return 1
		}
	}
	fmt.Printf("ok: %d vectors\n", len(vectors))
	return 0
}
