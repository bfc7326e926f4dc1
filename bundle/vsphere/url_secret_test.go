package vsphere_test

import (
	"strings"
	"testing"

	"github.com/exitkit/exitkit/bundle/vsphere"
)

// passwordURLs are vsphere:// URLs that carry the password "S3cr3tPw" (or
// a variant of it holding URL delimiters) somewhere a user might put it.
var passwordURLs = []string{
	"vsphere://admin:S3cr3tPw@vc/sdk?vm=x",
	"vsphere://admin:S3cr3tPw@vc/sdk?vm=",
	"vsphere://admin:S3cr3tPw@vc/sdk",
	"vsphere://admin:S3cr3tPw@vc/sdk?color=red",
	"vsphere://admin:S3cr3tPw@vc/sdk?tag=oops",
	"vsphere://admin:S3cr3tPw@",
	"vsphere://admin:S3/cr3tPw@vc/sdk?vm=x",
	"vsphere://admin:S3?cr3tPw@vc/sdk?vm=x",
	"vsphere://admin:S3#cr3tPw@vc/sdk?vm=x",
	"vsphere://admin:S3@cr3tPw@vc/sdk?vm=x",
	"vsphere://admin:S3%cr3tPw@vc/sdk?vm=x",
	"vsphere://admin@vc/sdk?vm=&password=S3cr3tPw",
	"vsphere://admin@vc/sdk?color=red&password=S3cr3tPw",
	"vsphere://admin@vc/sdk?datacenter=a&datacenter=b&pwd=S3cr3tPw",
	"vsphere://admin@vc/sdk?pass=S3cr3tPw&tag=oops",
	"vsphere://admin@vc/sdk?password=S3cr3tPw",
	"vsphere://admin@vc/sdk?vm=x&password=S3%zzcr3tPw",
	"vsphere://admin@vc/sdk?%zz&password=S3cr3tPw",
}

func TestAURLWithAPasswordIsRefusedWithoutRepeatingIt(t *testing.T) {
	for _, u := range passwordURLs {
		_, err := vsphere.ParseURL(u)
		if err == nil {
			t.Errorf("%s: accepted", u)
			continue
		}
		for _, part := range []string{"S3cr3tPw", "cr3tPw"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("%s: the error repeats the password: %v", u, err)
				break
			}
		}
		if r := vsphere.Redact(u); strings.Contains(r, "cr3tPw") {
			t.Errorf("Redact(%s) = %s", u, r)
		}
	}
}
