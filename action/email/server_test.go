package email

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the test server accepted.
type received struct {
	from  string
	rcpts []string
	data  []byte
	tls   bool // the message came over an encrypted connection
}

// testServer is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 that keeps what it receives.
type testServer struct {
	host string
	port int

	mu   sync.Mutex
	msgs []received
	// auths records every AUTH attempt: whether the connection was
	// encrypted when the credentials arrived.
	auths []bool

	// user and pass, when set, are the only accepted credentials; AUTH is
	// then required before MAIL.
	user, pass string
	// Errors to answer at each stage (nil: accept).
	mailErr, rcptErr, dataErr *smtp.SMTPError
}

type serverMode int

const (
	modePlain    serverMode = iota // no TLS, AUTH allowed in clear
	modeStartTLS                   // STARTTLS offered, AUTH only after it
	modeImplicit                   // TLS from the first byte
	modeRelay                      // no TLS and no AUTH offered (a local relay)
)

// startServer starts a server; cert is used for the TLS modes.
func startServer(t *testing.T, mode serverMode, cert *tls.Certificate, setup func(*testServer)) *testServer {
	t.Helper()
	ts := &testServer{}
	if setup != nil {
		setup(ts)
	}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ts: ts, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case modePlain:
		s.AllowInsecureAuth = true
	case modeRelay: // a plain local relay: no STARTTLS, no AUTH

	case modeStartTLS:
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	case modeImplicit:
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	ts.host = host
	ts.port, _ = strconv.Atoi(port)
	return ts
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

type session struct {
	ts     *testServer
	conn   *smtp.Conn
	authed bool
	from   string
	rcpts  []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) encrypted() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.ts.mu.Lock()
		s.ts.auths = append(s.ts.auths, s.encrypted())
		s.ts.mu.Unlock()
		if s.ts.user == "" || user != s.ts.user || pass != s.ts.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	if s.ts.mailErr != nil {
		return s.ts.mailErr
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ts.rcptErr != nil {
		return s.ts.rcptErr
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.dataErr != nil {
		return s.ts.dataErr
	}
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, received{from: s.from, rcpts: s.rcpts, data: b, tls: s.encrypted()})
	s.ts.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.rcpts = "", nil }
func (s *session) Logout() error { return nil }

func (ts *testServer) authAttempts() []bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]bool(nil), ts.auths...)
}

// selfSigned makes a certificate for 127.0.0.1, localhost and
// smtp.example.test, and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hookline test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost", "smtp.example.test"},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
