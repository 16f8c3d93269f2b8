package scraper

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestNetworkErrorsSanitised: a TLS certificate whose host names hold ESC,
// CR and LF makes an error that names them; the source's error shows them
// as visible escapes, never raw, so `fetch`, `status` and the digest footer
// cannot be made to clear a screen or fake a line.
func TestNetworkErrorsSanitised(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "evil"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		DNSNames:              []string{"evil\x1b[2J\x1b[H.example", "x\r\nnewswatch: all sources OK.example"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	f := newTestFetcher(t, Options{})
	f.lookup = func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	feed := strings.Replace(srv.URL, "127.0.0.1", "news.test", 1) + "/feed"
	f.pool(f.access(t.Context(), mustParse(t, feed))).TLSClientConfig = &tls.Config{RootCAs: roots}
	res := fetchURL(t, f, feed)
	if res.Err == nil {
		t.Fatal("no error for a certificate that does not name the host")
	}
	msg := res.Err.Error()
	if strings.ContainsAny(msg, "\x1b\r\n") {
		t.Errorf("error carries raw control characters: %q", msg)
	}
	if !strings.Contains(msg, `evil\x1b[2J`) {
		t.Errorf("error %q does not show the certificate's names escaped", msg)
	}
}
