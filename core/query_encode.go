package core

import (
	"net/url"
	"strings"

	"github.com/exeunt/exeunt/core/jsonx"
)

// encodeQuery is url.Values.Encode for one value per name: pairs is name, value, name,
// value..., the names distinct, in any order; the result has them sorted and both parts
// query-escaped, joined by "&", byte for byte what Values.Encode writes for the same map
// (TestEncodeQueryIsValuesEncode). Values.Encode sorts with slices.Sort, whose generic sort
// for strings the module then carried for it alone.
func encodeQuery(pairs ...string) string {
	names := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		names = append(names, pairs[i])
	}
	jsonx.SortNames(names)
	var b strings.Builder
	for _, name := range names {
		for i := 0; i+1 < len(pairs); i += 2 {
			if pairs[i] == name {
				if b.Len() > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(name))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(pairs[i+1]))
				break
			}
		}
	}
	return b.String()
}
