package cli

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestConfirmPassphraseNeedsTheSamePassphraseTwice(t *testing.T) {
	tests := []struct {
		name    string
		typed   []string
		readErr error
		want    string
		wantErr string
	}{
		{"two equal entries give the passphrase", []string{"s3cret", "s3cret"}, nil, "s3cret", ""},
		{"two different entries are refused", []string{"s3cret", "s3cert"}, nil, "", "the two passphrases differ"},
		{"an empty entry is refused before asking again", []string{""}, nil, "", "the passphrase is empty"},
		{"a read error is returned", nil, errors.New("EOF"), "", "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prompts bytes.Buffer
			i := 0
			read := func(prompt string, w io.Writer) ([]byte, error) {
				io.WriteString(w, prompt)
				if tt.readErr != nil {
					return nil, tt.readErr
				}
				s := tt.typed[i]
				i++
				return []byte(s), nil
			}
			got, err := confirmPassphrase("the signing key k", &prompts, read)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if !strings.Contains(prompts.String(), "the signing key k") || !strings.Contains(prompts.String(), "again") {
				t.Errorf("prompts %q do not name the key and ask again", prompts.String())
			}
		})
	}
}
