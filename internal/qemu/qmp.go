package qemu

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/exitkit/exitkit/internal/fsx"
)

// qmp is a minimal client of the QEMU Machine Protocol: one command at a
// time, events skipped.
type qmp struct {
	conn net.Conn
	dec  *json.Decoder
}

// dialQMP connects and negotiates capabilities; it fails while QEMU has
// not created the socket yet, and the caller retries.
func dialQMP(path string) (*qmp, error) {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, err
	}
	q := &qmp{conn: conn, dec: json.NewDecoder(bufio.NewReader(io.LimitReader(conn, 64<<20)))}
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var greeting map[string]json.RawMessage
	if err := q.dec.Decode(&greeting); err != nil || greeting["QMP"] == nil {
		conn.Close()
		return nil, fmt.Errorf("qmp: no greeting: %v", err)
	}
	if err := q.run("qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

func (q *qmp) close() { q.conn.Close() }

// run executes one command and waits for its reply.
func (q *qmp) run(cmd string, args map[string]any) error {
	_ = q.conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	for {
		var resp struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := q.dec.Decode(&resp); err != nil {
			return fmt.Errorf("qmp %s: %w", cmd, err)
		}
		switch {
		case resp.Event != "":
			continue
		case resp.Error != nil:
			return fmt.Errorf("qmp %s: %s: %s", cmd, resp.Error.Class, resp.Error.Desc)
		case resp.Return != nil:
			return nil
		}
	}
}

// screendump writes the screen as PNG (QEMU 7.1 and later).
func (q *qmp) screendump(path string) error {
	return q.run("screendump", map[string]any{"filename": path, "format": "png"})
}

// vgaText reads the 80x25 VGA text buffer at 0xB8000 (character and
// attribute bytes) through a temporary file and returns its text. In a
// graphics mode the result is noise, which matches nothing.
func (q *qmp) vgaText(dir *fsx.Dir, tmp string) (string, error) {
	dir.Remove(tmp)
	if err := q.run("pmemsave", map[string]any{"val": 0xb8000, "size": 80 * 25 * 2, "filename": dir.Join(tmp)}); err != nil {
		return "", err
	}
	f, err := dir.Open(tmp)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(f, 80*25*2))
	f.Close()
	dir.Remove(tmp)
	if err != nil {
		return "", err
	}
	if len(b) < 80*25*2 {
		return "", errors.New("qmp: short VGA text buffer")
	}
	var s strings.Builder
	for row := 0; row < 25; row++ {
		var line []byte
		for col := 0; col < 80; col++ {
			c := b[(row*80+col)*2]
			if c < 0x20 || c > 0x7e {
				c = ' '
			}
			line = append(line, c)
		}
		s.WriteString(strings.TrimRight(string(line), " "))
		s.WriteByte('\n')
	}
	return strings.TrimRight(s.String(), "\n"), nil
}
