package configschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// docs is what the generator takes from docs/configuration.md.
type docs struct {
	// complete and minimal are the JSON of the "Complete example" and "Minimal example"
	// sections.
	complete, minimal []byte
	// rows are the field tables' rows by field path ("cookie.name", "providers[].scheme").
	rows map[string]docRow
}

// docRow is one row of a field table.
type docRow struct {
	typ     string // the "type" column, when the table has one ("path", "list of URLs")
	def     string // the "default" column, as written
	meaning string // the last column
}

// readDocs reads docs/configuration.md. Sections are "## Top level" and "## <field>" for
// each top-level field; arrayFields are the top-level fields that are lists of objects,
// whose rows describe their elements ("providers[].scheme").
func readDocs(md []byte, arrayFields map[string]bool) (*docs, error) {
	d := &docs{rows: map[string]docRow{}}
	var err error
	if d.complete, err = jsonBlockAfter(md, "## Complete example"); err != nil {
		return nil, err
	}
	if d.minimal, err = jsonBlockAfter(md, "## Minimal example"); err != nil {
		return nil, err
	}
	prefix, inSection := "", false
	var cols []string
	for _, line := range strings.Split(string(md), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			title := strings.TrimSpace(strings.TrimPrefix(line, "## "))
			cols, inSection = nil, true
			switch {
			case title == "Top level":
				prefix = ""
			case arrayFields[title]:
				prefix = title + "[]."
			case !strings.ContainsAny(title, " "):
				prefix = title + "."
			default:
				inSection = false
			}
		case strings.HasPrefix(line, "### "):
			// A subsection explains; its tables (if any) are not field tables.
			cols, inSection = nil, false
		case !inSection || !strings.HasPrefix(line, "|"):
			if !strings.HasPrefix(line, "|") {
				cols = nil
			}
		case cols == nil:
			cols = cells(line)
		case strings.HasPrefix(line, "| ---"):
		default:
			c := cells(line)
			if len(c) != len(cols) || len(c) < 2 {
				continue
			}
			row := docRow{meaning: c[len(c)-1]}
			for i, name := range cols {
				switch name {
				case "type":
					row.typ = c[i]
				case "default":
					row.def = c[i]
				}
			}
			for _, name := range strings.Split(c[0], ",") {
				name = strings.TrimSpace(name)
				if !strings.HasPrefix(name, "`") || !strings.HasSuffix(name, "`") {
					continue
				}
				d.rows[prefix+strings.Trim(name, "`")] = row
			}
		}
	}
	return d, nil
}

// cells splits a Markdown table row; "\|" inside a cell is a literal "|".
func cells(line string) []string {
	line = strings.ReplaceAll(strings.TrimSpace(line), `\|`, "\x00")
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	parts := strings.Split(line, "|")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.TrimSpace(p), "\x00", "|")
	}
	return parts
}

// jsonBlockAfter returns the first ```json block after the heading.
func jsonBlockAfter(md []byte, heading string) ([]byte, error) {
	i := bytes.Index(md, []byte("\n"+heading+"\n"))
	if i < 0 {
		return nil, fmt.Errorf("docs/configuration.md has no %q section", heading)
	}
	rest := md[i:]
	start := bytes.Index(rest, []byte("```json\n"))
	if start < 0 {
		return nil, fmt.Errorf("docs/configuration.md: no ```json block after %q", heading)
	}
	rest = rest[start+len("```json\n"):]
	end := bytes.Index(rest, []byte("```"))
	if end < 0 {
		return nil, fmt.Errorf("docs/configuration.md: the ```json block after %q does not end", heading)
	}
	return rest[:end], nil
}

// docDefault is the default column as a JSON value, when it is one: a single code span
// holding JSON (`"8h"`, `true`, `["/"]`, `2000`) or a bare path or header name
// (`/exeunt/healthz`, `x-exeunt-sub`). Anything else ("the scheme", "none",
// `/signin-{scheme}`) is no default a schema can state.
func docDefault(cell string) (any, bool) {
	if strings.Count(cell, "`") != 2 || !strings.HasPrefix(cell, "`") || !strings.HasSuffix(cell, "`") {
		return nil, false
	}
	s := strings.Trim(cell, "`")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v, true
	}
	if s != "" && !strings.ContainsAny(s, " {}\"") {
		return s, true
	}
	return nil, false
}
