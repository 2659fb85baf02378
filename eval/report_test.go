package eval

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func sampleRows(t *testing.T) []Row {
	t.Helper()
	m, err := Evaluate(handSim, 3, 6, handLabels)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Chance(3, 6, handLabels)
	if err != nil {
		t.Fatal(err)
	}
	return []Row{{Name: "hand", Metrics: m}, {Name: "chance", Metrics: c}}
}

func TestTable(t *testing.T) {
	rows := sampleRows(t)
	got := rows[0].Metrics.Table()
	want := "|   33.33 |  100.00 |  100.00 |     2.0 |     2.7 |   56.11 " +
		"|   50.00 |  100.00 |  100.00 |     1.5 |     1.7 |   72.22 |  483.33 |"
	if got != want {
		t.Errorf("Table:\n got %q\nwant %q", got, want)
	}
	head := strings.Split(strings.TrimSuffix(TableHeader(), "\n"), "\n")
	if len(head) != 2 || len(head[0]) != len(got) || len(head[1]) != len(got) {
		t.Errorf("header lines %q do not line up with row %q", head, got)
	}

	var b bytes.Buffer
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[2], "| hand   | ") || !strings.HasPrefix(lines[3], "| chance | ") {
		t.Fatalf("WriteTable:\n%s", b.String())
	}
	for _, l := range lines[1:] {
		if len(l) != len(lines[0]) {
			t.Errorf("ragged table line %q", l)
		}
	}
}

func TestCSV(t *testing.T) {
	rows := sampleRows(t)
	var b bytes.Buffer
	if err := WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(CSVHeader(), ",") {
		t.Fatalf("CSV records %q", recs)
	}
	col := func(name string) int {
		for i, h := range recs[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	r := recs[1]
	num := func(name string) float64 {
		v, err := strconv.ParseFloat(r[col(name)], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	m := rows[0].Metrics
	if r[0] != "hand" || r[col("n_img")] != "3" || r[col("n_txt")] != "6" ||
		num("i2t_r1") != m.I2T.R1 || num("t2i_median_rank") != 1.5 ||
		num("i2t_map") != m.I2T.MAP || num("rsum") != m.RSum {
		t.Errorf("CSV row %q does not match %+v", r, m)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	rows := sampleRows(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, rows); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"name": "hand"`, `"i2t": {`, `"median_rank": 1.5`, `"rsum":`, `"n_img": 3`, `"mean_rank":`, `"map":`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b.String())
		}
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rows) || back[0] != rows[0] || back[1] != rows[1] {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, rows)
	}
	if _, err := ReadJSON(strings.NewReader(`[{"name":"x","bogus":1}]`)); err == nil {
		t.Error("unknown field accepted")
	}
	b.Reset()
	if err := WriteJSON(&b, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("empty rows: %q, %v", b.String(), err)
	}
}

func TestSaveFile(t *testing.T) {
	rows := sampleRows(t)
	dir := t.TempDir()
	for _, name := range []string{"r.csv", "r.json", "r.md"} {
		p := filepath.Join(dir, name)
		if err := SaveFile(p, rows); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(data), "chance") {
			t.Errorf("%s: %q %v", name, data, err)
		}
	}
	if err := SaveFile(filepath.Join(dir, "r.txt"), rows); err == nil || !strings.Contains(err.Error(), ".csv, .json or .md") {
		t.Errorf("unknown extension: %v", err)
	}
	// a parent that is a file cannot hold the result: an error, and no
	// temporary file left behind
	if err := SaveFile(filepath.Join(dir, "r.csv", "r.csv"), rows); err == nil {
		t.Error("a file as the parent directory accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("left behind: %v", ents)
	}
}
