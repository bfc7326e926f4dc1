package vsphere

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
)

// PasswordEnv is the environment variable the command reads the vSphere
// password from before it prompts.
const PasswordEnv = "EXITBUNDLE_VSPHERE_PASSWORD"

// ErrLogin means vCenter refused the user name or password.
var ErrLogin = errors.New("vSphere login refused")

// ErrCertificate means the server's TLS certificate is not trusted or
// does not match the pinned thumbprint.
var ErrCertificate = errors.New("vSphere server certificate not trusted")

// NormalizeThumbprint turns a certificate fingerprint as people paste it
// (openssl's "sha256 Fingerprint=AB:CD:...", lowercase, without colons)
// into the upper-case, colon-separated form govmomi compares. A SHA-256
// (32 bytes) or, for older hosts, SHA-1 (20 bytes) fingerprint is accepted.
func NormalizeThumbprint(s string) (string, error) {
	if _, after, ok := strings.Cut(s, "="); ok {
		s = after
	}
	hex := strings.ToUpper(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(hex) != 64 && len(hex) != 40 {
		return "", fmt.Errorf("thumbprint %q: want a SHA-256 fingerprint (64 hex digits, colons allowed), as `openssl x509 -noout -fingerprint -sha256` prints it", s)
	}
	var b strings.Builder
	for i := 0; i < len(hex); i += 2 {
		c1, c2 := hex[i], hex[i+1]
		if !isHex(c1) || !isHex(c2) {
			return "", fmt.Errorf("thumbprint %q: not hexadecimal", s)
		}
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteByte(c1)
		b.WriteByte(c2)
	}
	return b.String(), nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// connect logs in to the SDK endpoint. With a thumbprint the certificate
// must match it even when a system root would trust it (a pin); without
// one the system roots decide, unless insecure.
func connect(ctx context.Context, t *Target, opts *Options) (*vim25.Client, error) {
	u := t.sdkURL()
	sc := soap.NewClient(u, opts.Insecure && opts.Thumbprint == "")
	if opts.Thumbprint != "" {
		tp, err := NormalizeThumbprint(opts.Thumbprint)
		if err != nil {
			return nil, err
		}
		// No roots: every chain check fails, so govmomi falls back to
		// comparing the thumbprint for this host and nothing else.
		sc.DefaultTransport().TLSClientConfig.RootCAs = x509.NewCertPool()
		sc.SetThumbprint(u.Host, tp)
	}
	sc.UserAgent = "exitbundle"
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, connectError(t, opts, err)
	}
	if opts.Password == nil {
		return nil, fmt.Errorf("connect to %s: no password: set %s or run on a terminal to be asked", t.Host, PasswordEnv)
	}
	pass, err := opts.Password()
	if err != nil {
		return nil, fmt.Errorf("connect to %s: read password: %w", t.Host, err)
	}
	sm := session.NewManager(c)
	if err := sm.Login(ctx, url.UserPassword(t.User, pass)); err != nil {
		if isInvalidLogin(err) {
			return nil, fmt.Errorf("connect to %s as %s: %w: check the user name (with its domain, e.g. administrator@vsphere.local) and %s", t.Host, t.User, ErrLogin, PasswordEnv)
		}
		return nil, fmt.Errorf("connect to %s as %s: login: %w", t.Host, t.User, err)
	}
	return c, nil
}

func isInvalidLogin(err error) bool {
	if soap.IsSoapFault(err) {
		if strings.Contains(fmt.Sprintf("%T", soap.ToSoapFault(err).VimFault()), "InvalidLogin") {
			return true
		}
	}
	return strings.Contains(err.Error(), "incorrect user name or password") || strings.Contains(err.Error(), "InvalidLogin")
}

// connectError explains a failed connection, naming the certificate the
// server presented when trust was the problem so the operator can compare
// it with the fingerprint vCenter shows.
func connectError(t *Target, opts *Options, err error) error {
	mismatch := strings.Contains(err.Error(), "thumbprint does not match")
	if !mismatch && !soap.IsCertificateUntrusted(err) {
		return fmt.Errorf("connect to %s: %w", t.Host, err)
	}
	presented := ""
	if tp := peerThumbprint(t.Host); tp != "" {
		presented = " The server presented SHA-256 thumbprint " + tp + "."
	}
	if mismatch || opts.Thumbprint != "" {
		return fmt.Errorf("connect to %s: %w: its certificate does not match the pinned thumbprint %s.%s Check the thumbprint out of band (vCenter's certificate page or `openssl s_client -connect %s </dev/null | openssl x509 -noout -fingerprint -sha256` from a trusted network); a mismatch can mean someone is intercepting the connection",
			t.Host, ErrCertificate, opts.Thumbprint, presented, hostPort(t.Host))
	}
	return fmt.Errorf("connect to %s: %w (%v).%s Pin its SHA-256 thumbprint, checked out of band, install the CA that signed it, or, only in a lab, skip the certificate check",
		t.Host, ErrCertificate, err, presented)
}

// peerThumbprint reads the certificate a server presents, without
// trusting it, to quote it in an error message. Never used to connect.
func peerThumbprint(host string) string {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", hostPort(host), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return ""
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return ""
	}
	return soap.ThumbprintSHA256(certs[0])
}

func hostPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, "443")
}
