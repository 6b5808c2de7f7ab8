// Package netguard builds outbound HTTP clients that refuse to connect to
// private, loopback, link-local (cloud metadata), unspecified, shared (CGNAT),
// multicast and other special-purpose addresses unless the operator allowed
// them (--allow-net / HOOKLINE_ALLOW_NET).
//
// The check runs in the dialer, on the address actually being connected to,
// after DNS resolution: a public-looking name that resolves to 127.0.0.1 is
// refused, and so is every hop of a redirect chain (each hop dials anew).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// ErrBlocked is matched (errors.Is) by every refused dial.
var ErrBlocked = errors.New("destination address is not allowed")

// ErrRedirect is matched (errors.Is) by a refused redirect: too many hops or
// a scheme other than http and https.
var ErrRedirect = errors.New("redirect refused")

// MaxRedirects is the number of redirects a client follows.
const MaxRedirects = 5

// BlockedError is a refused dial. It matches ErrBlocked.
type BlockedError struct {
	Addr   netip.Addr // zero when the address could not be parsed
	Reason string     // "loopback", "private", "link-local/cloud metadata", …
	Err    error      // the underlying ssrf error
}

func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("destination is not allowed (%s)", e.Reason)
	}
	return fmt.Sprintf("address %s is not allowed (%s); allow it with --allow-net", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrBlocked) hold.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Unwrap returns the underlying ssrf error.
func (e *BlockedError) Unwrap() error { return e.Err }

// Options configure NewClient.
type Options struct {
	// Allow lists operator-allowed prefixes (e.g. 127.0.0.0/8 from
	// --allow-net), permitted in addition to public addresses.
	Allow []netip.Prefix
	// Timeout bounds a whole request, redirects and body included (zero: no
	// client-wide limit; callers bound requests with their context).
	Timeout time.Duration
	// IdleConnsPerHost is how many kept-alive connections to one host are
	// kept for reuse (default 10). Set it to the number of requests that
	// may run at once: a webhook endpoint often takes all of them, and
	// every connection beyond it is closed after one request and dialled
	// anew for the next.
	IdleConnsPerHost int
}

// ParseAllow parses a comma-separated list of CIDR prefixes or bare IP
// addresses ("127.0.0.0/8, 10.1.2.3, fd00::/8"). Empty entries are skipped.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("allow-net: %q is not a CIDR prefix or IP address", f)
			}
			out = append(out, unmapPrefix(p.Masked()))
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("allow-net: %q is not a CIDR prefix or IP address", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// unmapPrefix turns ::ffff:a.b.c.d/n (n >= 96) into a.b.c.d/(n-96).
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// guard checks dial destinations.
type guard struct {
	g *ssrf.Guardian
}

func newGuard(allow []netip.Prefix) *guard {
	var v4, v6 []netip.Prefix
	for _, p := range allow {
		p = unmapPrefix(p)
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	return &guard{g: ssrf.New(
		ssrf.WithAnyPort(),
		ssrf.WithAllowedV4Prefixes(v4...),
		ssrf.WithAllowedV6Prefixes(v6...),
	)}
}

// control is the net.Dialer Control function: it runs after the name was
// resolved and the socket created, before connecting.
func (g *guard) control(network, address string, c syscall.RawConn) error {
	err := g.g.Safe(network, address, c)
	if err == nil {
		return nil
	}
	be := &BlockedError{Err: err, Reason: "not a permitted destination"}
	if ap, perr := netip.ParseAddrPort(address); perr == nil {
		be.Addr = ap.Addr().Unmap()
		be.Reason = Reason(be.Addr)
	}
	if errors.Is(err, ssrf.ErrProhibitedNetwork) {
		be.Reason = "network " + network + " is not permitted"
	}
	return be
}

// check reports whether ip may be dialled (any port).
func (g *guard) check(ip netip.Addr) error {
	ip = ip.Unmap()
	network := "tcp6"
	if ip.Is4() {
		network = "tcp4"
	}
	return g.control(network, netip.AddrPortFrom(ip, 443).String(), nil)
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	metadata4 = netip.MustParseAddr("169.254.169.254")
	metadata6 = netip.MustParseAddr("fd00:ec2::254")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
)

// Reason names the class of a special-purpose address, for error messages.
func Reason(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a == metadata4 || a == metadata6:
		return "link-local/cloud metadata"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
		return "multicast"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsUnspecified() || thisNet.Contains(a):
		return "unspecified"
	case cgnat.Contains(a):
		return "shared/CGNAT"
	default:
		return "reserved/special-purpose"
	}
}

// NewClient returns an http.Client whose every connection (redirect hops
// included) is checked against the guard. It never uses a proxy from the
// environment: a proxy would make the dial-time check see the proxy's address
// instead of the destination's.
func NewClient(o Options) *http.Client {
	g := newGuard(o.Allow)
	if o.IdleConnsPerHost <= 0 {
		o.IdleConnsPerHost = 10
	}
	dialer := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   g.control,
	}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, o.IdleConnsPerHost),
		MaxIdleConnsPerHost:   o.IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       o.Timeout,
		CheckRedirect: checkRedirect,
	}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("%w: redirect to a %q URL", ErrRedirect, s)
	}
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects (last to %s)", ErrRedirect, MaxRedirects, req.URL.Host)
	}
	return nil
}
