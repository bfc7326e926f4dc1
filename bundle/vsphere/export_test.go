package vsphere_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/exitkit/exitkit/bundle"
	"github.com/exitkit/exitkit/bundle/ovf"
	"github.com/exitkit/exitkit/bundle/source"
	"github.com/exitkit/exitkit/bundle/vsphere"
	"github.com/exitkit/exitkit/internal/vcsimx"
)

func TestExportPoweredOffVMServesTheUploadedDiskByteForByte(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "web", 4<<20, 1)
	addVM(t, lab, vcsimx.VMSpec{Name: "web", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})

	got, err := exportAll(t, open(t, lab, "vm=web", options(lab)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].vm.Files) != 1 {
		t.Fatalf("got %d VMs, files %+v", len(got), got)
	}
	vm := got[0]
	if vm.vm.Name != "web" || !strings.HasPrefix(vm.vm.Origin, "vsphere://"+lab.Host+"/DC0/vm/web") {
		t.Errorf("name %q origin %q", vm.vm.Name, vm.vm.Origin)
	}
	if strings.Contains(vm.vm.Origin, lab.User) {
		t.Errorf("origin %q names the user", vm.vm.Origin)
	}
	f := vm.vm.Files[0]
	if !bytes.Equal(vm.files[f.Href], readFile(t, d.vmdk)) {
		t.Fatalf("exported %s differs from the uploaded VMDK", f.Href)
	}
	checkDisk(t, vm.files[f.Href], d)

	desc, err := ovf.Parse(bytes.NewReader(vm.vm.Descriptor))
	if err != nil {
		t.Fatalf("descriptor: %v\n%s", err, vm.vm.Descriptor)
	}
	if len(desc.Files) != 1 || desc.Files[0].Href != f.Href {
		t.Errorf("descriptor files %+v, want %s", desc.Files, f.Href)
	}
	if desc.Files[0].Size > 0 {
		t.Errorf("descriptor claims size %d before the transfer", desc.Files[0].Size)
	}
	if len(desc.Disks) != 1 || desc.Disks[0].CapacityBytes != d.capacity {
		t.Errorf("disks %+v, want capacity %d", desc.Disks, d.capacity)
	}
}

func TestExportRunningVMGoesThroughATemporarySnapshotThatIsRemoved(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "db", 2<<20, 2)
	p := addVM(t, lab, vcsimx.VMSpec{Name: "db", PowerOn: true, Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})

	var log bytes.Buffer
	opts := options(lab)
	opts.Log = &log
	got, err := exportAll(t, open(t, lab, "vm=db", opts))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d VMs", len(got))
	}
	for _, b := range got[0].files {
		checkDisk(t, b, d)
	}
	if n, err := lab.Snapshots(context.Background(), p); err != nil || n != 0 {
		t.Fatalf("%d snapshots left (%v)\n%s", n, err, log.String())
	}
	if !strings.Contains(log.String(), "temporary snapshot removed") {
		t.Errorf("log does not mention the snapshot:\n%s", log.String())
	}
}

func TestTemporarySnapshotIsRemovedWhenTheExportFailsOrIsCancelled(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "db", 1<<20, 3)
	p := addVM(t, lab, vcsimx.VMSpec{Name: "db", PowerOn: true, Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})

	boom := errors.New("disk full")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		fn   func(context.Context, *bundle.SourceVM) error
		want error
	}{
		{"fn fails", context.Background(), func(context.Context, *bundle.SourceVM) error { return boom }, boom},
		{"ctx cancelled", ctx, func(context.Context, *bundle.SourceVM) error { cancel(); return context.Canceled }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := open(t, lab, "vm=db", options(lab))
			err := src.Export(tc.ctx, source.NewSlots(2), tc.fn)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if n, err := lab.Snapshots(context.Background(), p); err != nil || n != 0 {
				t.Fatalf("%d snapshots left (%v)", n, err)
			}
		})
	}
}

func TestExportEFIVMCarriesItsNVRAM(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "efi", 1<<20, 4)
	nvram := bytes.Repeat([]byte("NVRAM-EFI-VARS"), 600)
	addVM(t, lab, vcsimx.VMSpec{Name: "efi", Firmware: "efi", NVRAM: nvram, Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})

	got, err := exportAll(t, open(t, lab, "vm=efi", options(lab)))
	if err != nil {
		t.Fatal(err)
	}
	var nv string
	for href, b := range got[0].files {
		if strings.HasSuffix(href, ".nvram") {
			nv = href
			if !bytes.Equal(b, nvram) {
				t.Errorf("NVRAM differs")
			}
		}
	}
	if nv == "" {
		t.Fatalf("no NVRAM among %v", got[0].vm.Files)
	}
	desc, err := ovf.Parse(bytes.NewReader(got[0].vm.Descriptor))
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Systems) != 1 || desc.Systems[0].Firmware != "efi" {
		t.Errorf("systems %+v, want efi", desc.Systems)
	}
	if !bytes.Contains(got[0].vm.Descriptor, []byte(`ovf:href="`+nv+`"`)) || !bytes.Contains(got[0].vm.Descriptor, []byte(`vmw:key="nvram"`)) {
		t.Errorf("descriptor does not reference the NVRAM:\n%s", got[0].vm.Descriptor)
	}
}

func TestExportMultiDiskVMTakesEveryDisk(t *testing.T) {
	lab := startLab(t)
	dir := t.TempDir()
	d1, d2 := makeDisk(t, dir, "a", 2<<20, 5), makeDisk(t, dir, "b", 3<<20, 6)
	addVM(t, lab, vcsimx.VMSpec{Name: "app", Disks: []vcsimx.Disk{{VMDK: d1.vmdk, Capacity: d1.capacity}, {VMDK: d2.vmdk, Capacity: d2.capacity}}})

	got, err := exportAll(t, open(t, lab, "vm=app", options(lab)))
	if err != nil {
		t.Fatal(err)
	}
	files := got[0].vm.Files
	if len(files) != 2 {
		t.Fatalf("files %+v", files)
	}
	checkDisk(t, got[0].files[files[0].Href], d1)
	checkDisk(t, got[0].files[files[1].Href], d2)
	desc, err := ovf.Parse(bytes.NewReader(got[0].vm.Descriptor))
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Disks) != 2 || len(desc.Systems[0].Disks) != 2 {
		t.Errorf("descriptor disks %+v / %+v", desc.Disks, desc.Systems[0].Disks)
	}
}

func TestExportLeavesImagesOutUnlessAsked(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "cd", 1<<20, 7)
	addVM(t, lab, vcsimx.VMSpec{Name: "cd", ISO: []byte("CD001 image"), Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})

	for _, include := range []bool{false, true} {
		opts := options(lab)
		opts.IncludeImages = include
		got, err := exportAll(t, open(t, lab, "vm=cd", opts))
		if err != nil {
			t.Fatal(err)
		}
		isos := 0
		for href := range got[0].files {
			if strings.HasSuffix(href, ".iso") {
				isos++
			}
		}
		if want := map[bool]int{false: 0, true: 1}[include]; isos != want {
			t.Errorf("IncludeImages=%v: %d ISOs, want %d", include, isos, want)
		}
	}
}

func TestExportNamesDistributedPortGroupsByName(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "n", 1<<20, 8)
	addVM(t, lab, vcsimx.VMSpec{Name: "net", Network: "DC0_DVPG0", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})

	got, err := exportAll(t, open(t, lab, "vm=net", options(lab)))
	if err != nil {
		t.Fatal(err)
	}
	desc, err := ovf.Parse(bytes.NewReader(got[0].vm.Descriptor))
	if err != nil {
		t.Fatal(err)
	}
	nics := desc.Systems[0].NICs
	if len(nics) != 1 || nics[0].Network != "DC0_DVPG0" {
		t.Errorf("NICs %+v, want network DC0_DVPG0\n%s", nics, got[0].vm.Descriptor)
	}
	if bytes.Contains(got[0].vm.Descriptor, []byte("dvportgroup-")) {
		t.Errorf("descriptor still names a port group by key:\n%s", got[0].vm.Descriptor)
	}
}

func TestSelection(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "s", 1<<20, 9)
	disks := []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}
	addVM(t, lab, vcsimx.VMSpec{Name: "web1", Folder: "Acme", Disks: disks, Tags: []string{"exit:acme"}})
	addVM(t, lab, vcsimx.VMSpec{Name: "web2", Folder: "Acme/prod", Disks: disks})
	addVM(t, lab, vcsimx.VMSpec{Name: "db1", Folder: "Acme/prod", Disks: disks, Tags: []string{"exit:acme"}})
	addVM(t, lab, vcsimx.VMSpec{Name: "other", Folder: "Globex", Disks: disks, Tags: []string{"exit:globex"}})

	for _, tc := range []struct {
		query, want string
	}{
		{"vm=/DC0/vm/Acme/prod/web2", "web2"},
		{"vm=Acme/web*", "web1"},
		{"vm=Acme/prod/web*", "web2"},
		{"vm=Acme/web1&vm=Globex/other", "web1,other"},
		{"folder=Acme", "db1,web2,web1"},
		{"folder=Acme/prod", "db1,web2"},
		{"tag=exit:acme", "db1,web1"},
		{"tag=exit:acme&tag=exit:globex", "db1,web1,other"},
		{"folder=Acme/prod&tag=exit:acme", "db1"},
		{"pool=*&folder=Globex", "other"},
		{"datacenter=DC0&vm=Globex/*", "other"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			src := open(t, lab, tc.query, options(lab))
			defer src.Close()
			var got []string
			for _, p := range src.VMs() {
				got = append(got, p[strings.LastIndex(p, "/")+1:])
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("got %v (%v), want %s", got, src.VMs(), tc.want)
			}
		})
	}

	for _, q := range []string{"vm=nothing*", "tag=exit:acme&folder=Globex", "folder=Nowhere"} {
		_, err := vsphere.Open(context.Background(), lab.URL(q), options(lab))
		if !errors.Is(err, vsphere.ErrNoVMs) {
			t.Errorf("%s: got %v, want ErrNoVMs", q, err)
		}
	}
	if _, err := vsphere.Open(context.Background(), lab.URL("tag=exit:nope"), options(lab)); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown tag: got %v", err)
	}
}

func TestWrongPasswordIsRefusedClearly(t *testing.T) {
	lab := startLab(t)
	opts := options(lab)
	opts.Password = func() (string, error) { return "wrong", nil }
	_, err := vsphere.Open(context.Background(), lab.URL("vm=*"), opts)
	if !errors.Is(err, vsphere.ErrLogin) {
		t.Fatalf("got %v, want ErrLogin", err)
	}
	if !strings.Contains(err.Error(), lab.User) || !strings.Contains(err.Error(), vsphere.PasswordEnv) {
		t.Errorf("message does not help: %v", err)
	}
}

func TestCertificateMustMatchThePinnedThumbprint(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "c", 1<<20, 10)
	addVM(t, lab, vcsimx.VMSpec{Name: "c", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	wrong := strings.Repeat("AB:", 31) + "AB"

	for _, tc := range []struct {
		name       string
		thumbprint string
		insecure   bool
		wantErr    bool
	}{
		{"right thumbprint", lab.Thumbprint, false, false},
		{"right thumbprint in lower case without colons", strings.ToLower(strings.ReplaceAll(lab.Thumbprint, ":", "")), false, false},
		{"wrong thumbprint", wrong, false, true},
		{"wrong thumbprint even with insecure", wrong, true, true},
		{"no thumbprint, self-signed certificate", "", false, true},
		{"insecure", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := options(lab)
			opts.Thumbprint, opts.Insecure = tc.thumbprint, tc.insecure
			src, err := vsphere.Open(context.Background(), lab.URL("vm=c"), opts)
			if !tc.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := exportAll(t, src); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, vsphere.ErrCertificate) {
				t.Fatalf("got %v, want ErrCertificate", err)
			}
			if !strings.Contains(err.Error(), lab.Thumbprint) {
				t.Errorf("message does not show the presented thumbprint: %v", err)
			}
		})
	}
}

func TestDroppedDownloadIsTransient(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "t", 4<<20, 11)
	addVM(t, lab, vcsimx.VMSpec{Name: "t", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	size := int64(len(readFile(t, d.vmdk)))

	attempts := 0
	lab.FailNFC(func(string) int64 {
		attempts++
		if attempts == 1 {
			return size / 2
		}
		return -1
	})
	src := open(t, lab, "vm=t", options(lab))
	err := src.Export(context.Background(), source.NewSlots(1), func(ctx context.Context, vm *bundle.SourceVM) error {
		f := vm.Files[0]
		for try := 0; ; try++ {
			rc, err := f.Open(ctx)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			_, err = buf.ReadFrom(rc)
			rc.Close()
			if err == nil {
				checkDisk(t, buf.Bytes(), d)
				if try != 1 {
					t.Errorf("succeeded at try %d, want the second", try)
				}
				return nil
			}
			if !errors.Is(err, bundle.ErrTransient) || try > 0 {
				return err
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "vsphere://admin@vc.example.com/sdk?vm=web*", want: "vsphere://admin@vc.example.com/sdk?vm=web%2A"},
		{in: "vsphere://administrator@vsphere.local@vc:8443?folder=Acme&tag=exit:acme&datacenter=DC1",
			want: "vsphere://administrator@vsphere.local@vc:8443/sdk?datacenter=DC1&folder=Acme&tag=exit%3Aacme"},
		{in: "vsphere://administrator%40vsphere.local@vc/sdk?pool=RP1", want: "vsphere://administrator@vsphere.local@vc/sdk?pool=RP1"},
		{in: "vsphere://admin:secret@vc/sdk?vm=x", err: "must not be in the URL"},
		{in: "vsphere://admin@vc/sdk?vm=x&password=secret", err: "must not be in the URL"},
		{in: "vsphere://vc/sdk?vm=x", err: "no user"},
		{in: "vsphere://admin@vc/sdk", err: "say which VMs"},
		{in: "vsphere://admin@vc/sdk?tag=oops", err: "CATEGORY:TAG"},
		{in: "vsphere://admin@vc/sdk?vm=", err: "empty"},
		{in: "vsphere://admin@vc/sdk?color=red", err: "unknown parameter"},
		{in: "https://admin@vc/sdk?vm=x", err: "want vsphere://"},
	} {
		got, err := vsphere.ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want error with %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: error shows the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"vsphere://admin@vc.example.com/sdk?vm=web*",
		"vsphere://a@b@c:1/x?tag=a:b&folder=f&pool=p&datacenter=d",
		"vsphere://a:b@c/?vm=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := vsphere.ParseURL(s)
		if err != nil {
			return
		}
		again, err := vsphere.ParseURL(tg.String())
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", s, tg, err)
		}
		if again.String() != tg.String() {
			t.Fatalf("%q -> %q -> %q", s, tg, again)
		}
	})
}

func TestLeaseIsRenewedWhileTheTransferRuns(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "slow", 1<<20, 12)
	addVM(t, lab, vcsimx.VMSpec{Name: "slow", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	opts := options(lab)
	opts.LeaseInterval = 10 * time.Millisecond
	src := open(t, lab, "vm=slow", opts)
	before := lab.Calls("HttpNfcLeaseProgress")
	err := src.Export(context.Background(), source.NewSlots(1), func(ctx context.Context, vm *bundle.SourceVM) error {
		// A slow consumer: wait (bounded) until the lease was renewed twice.
		deadline := time.Now().Add(30 * time.Second)
		for lab.Calls("HttpNfcLeaseProgress")-before < 2 {
			if time.Now().After(deadline) {
				return errors.New("lease never renewed")
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if lab.Calls("HttpNfcLeaseComplete") != 1 || lab.Calls("HttpNfcLeaseAbort") != 0 {
		t.Errorf("complete %d, abort %d; want the lease completed once", lab.Calls("HttpNfcLeaseComplete"), lab.Calls("HttpNfcLeaseAbort"))
	}
	after := lab.Calls("HttpNfcLeaseProgress")
	time.Sleep(50 * time.Millisecond)
	if lab.Calls("HttpNfcLeaseProgress") != after {
		t.Error("lease still renewed after the export ended")
	}
}

func TestFailedVMAbortsItsLeaseAndTheNextVMStillGoes(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "x", 1<<20, 13)
	addVM(t, lab, vcsimx.VMSpec{Name: "a", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	addVM(t, lab, vcsimx.VMSpec{Name: "b", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	var seen []string
	err := open(t, lab, "vm=*", options(lab)).Export(context.Background(), source.NewSlots(1), func(ctx context.Context, vm *bundle.SourceVM) error {
		seen = append(seen, vm.Name)
		if vm.Name == "a" {
			return errors.New("disk full")
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "VM DC0/vm/a: disk full") || strings.Contains(err.Error(), "vm/b") {
		t.Errorf("got %v", err)
	}
	if strings.Join(seen, ",") != "a,b" {
		t.Errorf("exported %v, want a then b", seen)
	}
	if lab.Calls("HttpNfcLeaseAbort") != 1 || lab.Calls("HttpNfcLeaseComplete") != 1 {
		t.Errorf("abort %d complete %d, want one each", lab.Calls("HttpNfcLeaseAbort"), lab.Calls("HttpNfcLeaseComplete"))
	}
}

func TestStalledDownloadIsTransient(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "s", 2<<20, 14)
	addVM(t, lab, vcsimx.VMSpec{Name: "s", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	attempts := 0
	lab.StallNFC(func(string) int64 {
		attempts++
		if attempts == 1 {
			return 70_000
		}
		return -1
	})
	opts := options(lab)
	opts.StallTimeout = 300 * time.Millisecond
	err := open(t, lab, "vm=s", opts).Export(context.Background(), source.NewSlots(1), func(ctx context.Context, vm *bundle.SourceVM) error {
		f := vm.Files[0]
		rc, err := f.Open(ctx)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(rc)
		rc.Close()
		if !errors.Is(err, bundle.ErrTransient) || !strings.Contains(err.Error(), "stalled") {
			return fmt.Errorf("first try: got %v, want a transient stall", err)
		}
		rc, err = f.Open(ctx)
		if err != nil {
			return err
		}
		buf.Reset()
		_, err = buf.ReadFrom(rc)
		rc.Close()
		if err != nil {
			return err
		}
		checkDisk(t, buf.Bytes(), d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotThatCannotBeRemovedIsReportedByName(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "r", 1<<20, 15)
	p := addVM(t, lab, vcsimx.VMSpec{Name: "r", PowerOn: true, Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	lab.FailMethod("RemoveSnapshot_Task", true)
	_, err := exportAll(t, open(t, lab, "vm=r", options(lab)))
	if err == nil || !strings.Contains(err.Error(), vsphere.SnapshotPrefix) || !strings.Contains(err.Error(), "remove it by hand") {
		t.Fatalf("got %v, want the leftover snapshot named", err)
	}
	if n, _ := lab.Snapshots(context.Background(), p); n != 1 {
		t.Errorf("%d snapshots, want the one left over", n)
	}
}

func TestVMDKStreamCutShortIsTransientEvenWhenHTTPSaysDone(t *testing.T) {
	lab := startLab(t)
	d := makeDisk(t, t.TempDir(), "cut", 2<<20, 16)
	addVM(t, lab, vcsimx.VMSpec{Name: "cut", Disks: []vcsimx.Disk{{VMDK: d.vmdk, Capacity: d.capacity}}})
	size := int64(len(readFile(t, d.vmdk)))
	for _, cut := range []int64{size / 2, size - 512, size - 1024} {
		lab.TruncateNFC(func(string) int64 { return cut })
		_, err := exportAll(t, open(t, lab, "vm=cut", options(lab)))
		if !errors.Is(err, bundle.ErrTransient) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d of %d: got %v, want a transient truncation", cut, size, err)
		}
	}
	lab.TruncateNFC(nil)
	if _, err := exportAll(t, open(t, lab, "vm=cut", options(lab))); err != nil {
		t.Fatalf("whole stream: %v", err)
	}
}
