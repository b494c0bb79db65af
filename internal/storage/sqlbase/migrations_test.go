package sqlbase

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestReadMigrations(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		want    []int
		wantErr bool
	}{
		{"gaps allowed", []string{"0001_a.sql", "0002_b.sql", "0010_c.sql", "0040_d.sql"}, []int{1, 2, 10, 40}, false},
		{"no number", []string{"0001_a.sql", "initial.sql"}, nil, true},
		{"repeated", []string{"0001_a.sql", "01_b.sql"}, nil, true},
		{"zero", []string{"0000_a.sql"}, nil, true},
		{"empty", nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"m": &fstest.MapFile{Mode: fs.ModeDir | 0o755}}
			for _, f := range tc.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			got, err := ReadMigrations(fsys, "m")
			if (err != nil) != tc.wantErr {
				t.Fatalf("ReadMigrations: got error %v, want error %v", err, tc.wantErr)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.Version)
			}
			if len(versions) != len(tc.want) {
				t.Fatalf("ReadMigrations: got versions %v, want %v", versions, tc.want)
			}
			for i := range versions {
				if versions[i] != tc.want[i] {
					t.Errorf("ReadMigrations: got versions %v, want %v", versions, tc.want)
				}
			}
		})
	}
}

func TestCheckKnown(t *testing.T) {
	all := []Migration{{Version: 1}, {Version: 2}, {Version: 10}}
	tests := []struct {
		name    string
		applied map[int]bool
		want    *SchemaVersionError
	}{
		{"fresh", map[int]bool{}, nil},
		{"older", map[int]bool{1: true}, nil},
		{"missing a middle one", map[int]bool{1: true, 10: true}, nil},
		{"current", map[int]bool{1: true, 2: true, 10: true}, nil},
		{"newer", map[int]bool{1: true, 2: true, 10: true, 11: true}, &SchemaVersionError{Have: 11, Known: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckKnown(all, tc.applied)
			var sv *SchemaVersionError
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("CheckKnown: got %v, want no error", err)
			case tc.want != nil && (!errors.As(err, &sv) || *sv != *tc.want):
				t.Errorf("CheckKnown: got %v, want %+v", err, tc.want)
			}
		})
	}
}
